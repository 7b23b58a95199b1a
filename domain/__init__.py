"""DocShield's domain: plain Python, no drivers, no imports from the other layers."""
