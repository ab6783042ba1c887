"""Analysis of runs: A/B compare, keypoint trajectories and jitter, resources over long runs."""
