"""Domain services: every write of the product goes through one of these modules."""
