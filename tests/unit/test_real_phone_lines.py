"""The corpus of real phone-line prompts (issue 13): sourced, big enough, and decided right in every form."""
from benchmarks.real_phone_lines import CATEGORIES, evaluate, load_prompts
from benchmarks.recognized_speech import FORMS, recognized_forms


def test_every_prompt_names_its_public_source_and_a_known_category():
    prompts = load_prompts()
    assert len(prompts) >= 200
    assert len({p["id"] for p in prompts}) == len(prompts)
    for p in prompts:
        assert p["source"].startswith("http"), p["id"]
        assert p["category"] in CATEGORIES, p["id"]
    for category in CATEGORIES:
        assert sum(p["category"] == category for p in prompts) >= 8, category


def test_at_least_98_percent_right_in_every_category_clean_and_as_recognized():
    counts, misses = evaluate(load_prompts())
    for (category, form), (right, total) in counts.items():
        assert right / total >= 0.98, (category, form, [m for m in misses if m[:2] == (category, form)])
    assert {form for _, form in counts} == {"clean", *FORMS}


def test_the_recognized_forms_are_lowercase_unpunctuated_and_keep_every_word_in_pieces():
    forms = recognized_forms("For the Office Manager, press 4. Thank you!")
    assert forms["lowercase"] == ["for the office manager press 4 thank you"]
    assert forms["numbers"] == ["for the office manager press four thank you"]
    assert " ".join(forms["pieces"]) == forms["lowercase"][0] and len(forms["pieces"]) >= 2
    assert forms["misheard"][0] != forms["lowercase"][0]
