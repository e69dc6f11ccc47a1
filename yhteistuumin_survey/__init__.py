"""Run the Kulttuuria yhteistuumin good-practice survey of Finnish municipalities."""

__version__ = "0.1.0"
