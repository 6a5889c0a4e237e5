"""Forms of the applicant site."""
