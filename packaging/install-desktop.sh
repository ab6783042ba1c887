#!/bin/sh
# Linux: add MoveNet Studio to the desktop's application menu, for the current user.
#
# build.sh copies this script into the standalone folder; run it from there:
#     ./movenet-studio/install-desktop.sh
# It installs the icon and a .desktop entry (from the folder's bundled resources) whose Exec
# points at this folder's executable. Uninstall: delete the two files it prints.
set -eu
APP_DIR=$(cd "$(dirname "$0")" && pwd)
RES="$APP_DIR/_internal/movenet_studio/_bundled/resources"
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
ICON="$DATA/icons/hicolor/256x256/apps/movenet-studio.png"
ENTRY="$DATA/applications/movenet-studio.desktop"

[ -x "$APP_DIR/movenet-studio" ] || { echo "no movenet-studio executable in $APP_DIR" >&2; exit 1; }
mkdir -p "$(dirname "$ICON")" "$(dirname "$ENTRY")"
cp "$RES/icon.png" "$ICON"
sed -e "s|^Exec=movenet-studio|Exec=\"$APP_DIR/movenet-studio\"|" \
    -e "s|^TryExec=.*|TryExec=$APP_DIR/movenet-studio|" \
    "$RES/movenet-studio.desktop" > "$ENTRY"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$DATA/applications" || true
echo "installed $ENTRY"
echo "installed $ICON"
