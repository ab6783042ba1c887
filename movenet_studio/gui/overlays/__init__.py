"""What the video view draws over the frame, and the controls and controller that choose it."""
