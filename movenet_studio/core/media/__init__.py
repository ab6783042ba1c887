"""Media in: frame sources (video, images, folders, camera), decode-ahead, image headers, video writing."""
