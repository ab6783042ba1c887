"""Side-panel controls: source, model, backend, preprocessing, smoothing, MultiPose."""
