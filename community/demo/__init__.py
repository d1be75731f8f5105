"""The demo community and its ten weeks of history."""
