"""How a person's name is said with a title ("Dr. Kent", "Doctor Kent", "Mrs. Lopez"): one list of titles
for every rule that reads a name from the line or says one (callee_words, front_desk, person_on_the_line)."""
from __future__ import annotations

HONORIFIC = r"(?:Dr\.?|Doctor|Mr\.?|Mrs\.?|Ms\.?)"  # a regex fragment, no group
