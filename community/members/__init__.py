"""A member's own pages: home and the profile wizard, with the profile rules."""
