"""Tests of the applicant site."""
