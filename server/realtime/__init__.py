"""Live screens over Socket.IO."""
