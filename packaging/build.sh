#!/usr/bin/env bash
# Build the standalone MoveNet Studio for this platform: dist/movenet-studio/ (one folder,
# runs without Python). Usage, from anywhere:
#
#     packaging/build.sh
#
# Makes (once) a build venv at build/venv with the project's dependencies (editable install
# of this checkout) and PyInstaller, freezes packaging/movenet_studio.spec into dist/, runs
# the result's --version, and prints the build time and the folder's size.
#
# Environment:
#   PYTHON         interpreter that creates the build venv (default: python3, else python)
#   BUILD_VENV     build venv folder (default: build/venv)
#   DIST_DIR       output folder (default: dist); the app lands in DIST_DIR/movenet-studio
#   PYINSTALLER    pip requirement for PyInstaller (default: "pyinstaller>=6.10,<7")
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
APP=movenet-studio
VENV=${BUILD_VENV:-build/venv}
DIST=${DIST_DIR:-dist}
WORK=build/pyinstaller
PYINSTALLER_REQ=${PYINSTALLER:-"pyinstaller>=6.10,<7"}
PYTHON=${PYTHON:-$(command -v python3 || command -v python)}

start=$(date +%s)
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) VPY="$VENV/Scripts/python.exe"; EXE="$APP.exe" ;;
  *) VPY="$VENV/bin/python"; EXE="$APP" ;;
esac

if [ ! -x "$VPY" ]; then
  echo "==> creating build venv $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
  "$VPY" -m pip install -q --upgrade pip
fi

# (Re)install the project's dependencies and PyInstaller when pyproject.toml or the
# PyInstaller requirement changed since the last build.
stamp="$VENV/.movenet-studio-build-stamp"
want="$("$VPY" -c 'import hashlib, sys; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())') $PYINSTALLER_REQ"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing the project's dependencies and $PYINSTALLER_REQ into $VENV"
  extra=()
  [ "$(uname -s)" = Darwin ] && extra+=(pillow)  # PyInstaller turns the PNG icon into .icns with it
  "$VPY" -m pip install -q -e . "$PYINSTALLER_REQ" ${extra[@]+"${extra[@]}"}
  echo "$want" > "$stamp"
fi

echo "==> freezing with PyInstaller $("$VPY" -m PyInstaller --version)"
rm -rf "${DIST:?}/$APP"
"$VPY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/movenet_studio.spec

out="$DIST/$APP"
cp packaging/install-desktop.sh "$out/"
{
  echo "MoveNet Studio $("$VPY" -c 'import movenet_studio; print(movenet_studio.__version__)') standalone"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sm)"
  echo "python: $("$VPY" -c 'import platform; print(platform.python_version())'), pyinstaller: $("$VPY" -m PyInstaller --version)"
} > "$out/BUILD-INFO.txt"

echo "==> smoke test: $out/$EXE --version"
"$out/$EXE" --version

if [ "$(uname -s)" = Linux ] && command -v ldconfig >/dev/null; then
  # Qt's X11 plugin needs these; PyInstaller bundles them only when the build machine has them.
  for lib in libxcb-icccm.so.4 libxcb-keysyms.so.1 libxcb-cursor.so.0; do
    if [ ! -e "$out/_internal/$lib" ] && ! ldconfig -p | grep -q "$lib"; then
      echo "note: $lib is not on this build machine, so not bundled: a real X11 window needs it on the" \
           "target (offscreen and Wayland don't). Install it here and rebuild to bundle it."
    fi
  done
fi

end=$(date +%s)
size=$(du -sm "$out" | cut -f1)
files=$(find "$out" -type f | wc -l | tr -d ' ')
echo "==> built $out in $((end - start)) s: ${size} MB, ${files} files"
