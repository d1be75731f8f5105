"""Request plumbing shared by every page: headers, errors, redirects, caches, CSV, charts."""
