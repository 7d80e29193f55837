"""Tests of the platform simulator (devtools/platform_simulator)."""
