"""Local stand-ins for the clouds the labs run on, started and stopped by the project itself."""
