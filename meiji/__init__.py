"""meiji: a headless content and community service for a medical-aesthetics platform."""

__version__ = "0.1.0"
