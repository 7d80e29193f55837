"""Tests of the platform simulator (include/platform_simulator)."""
