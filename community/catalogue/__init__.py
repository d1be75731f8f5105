"""What a community offers: neighbourhoods, the interest vocabulary, opportunities."""
