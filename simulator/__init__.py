"""The simulated practice: scenario files (contracts section 3), the phone line they describe, and the run."""
