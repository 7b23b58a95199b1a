"""The menu reader: every way a practice menu says an option."""
import pytest

from domain.menu_reader import OptionKind, read_menu


def keys(text):
    return {o.key: o.phrase for o in read_menu(text).options if o.key is not None}


@pytest.mark.parametrize("text, key, words", [
    ("For billing press 2.", "2", "billing"),
    ("Press 2 for billing.", "2", "billing"),
    ("Billing, press 2.", "2", "billing"),
    ("To reach the office manager, dial 4.", "4", "office manager"),
    ("For the practice administrator press four.", "4", "practice administrator"),
    ("Select option 3 for the front desk.", "3", "front desk"),
    ("Push 5 for the receptionist.", "5", "receptionist"),
    ("Operator, press 0.", "0", "operator"),
    ("For the office manager press star.", "*", "office manager"),
    ("For the office manager press the pound key.", "#", "office manager"),
    ("Press 3 if you need to speak with the office manager.", "3", "office manager"),
    ("For the practice manager, dial extension 214.", "214", "practice manager"),
])
def test_one_option_in_each_phrasing(text, key, words):
    found = keys(text)
    assert key in found, found
    assert words in found[key]


def test_key_first_list_keeps_each_phrase_with_its_key():
    found = keys("Press 1 for appointments, press 2 for billing, press 3 for the office manager.")
    assert found == {"1": "for appointments", "2": "for billing", "3": "for the office manager"}


def test_bare_digits_continue_a_list():
    found = keys("Press 1 for appointments, 2 for billing, or 3 for the office manager.")
    assert found == {"1": "for appointments", "2": "for billing", "3": "for the office manager"}


def test_phrase_first_without_punctuation():
    found = keys("thank you for calling lakeside for appointments press one for billing press two "
                 "for the practice administrator press four")
    assert found == {"1": "for appointments", "2": "for billing", "4": "for the practice administrator"}


def test_key_first_without_punctuation():
    found = keys("press one for appointments press two for billing press three for the practice manager")
    assert found["3"] == "for the practice manager"
    assert found["1"] == "for appointments"


def test_styles_mixed_in_one_menu():
    found = keys("For appointments, press 1. Press 2 for billing.")
    assert found == {"1": "for appointments", "2": "for billing"}


def test_option_cut_into_two_sentences_by_the_transcriber():
    assert "practice administrator" in keys("For appointments press 1. To reach our practice administrator. Press 6.")["6"]


def test_fragments_joined_read_like_the_whole():
    whole = read_menu("For billing press 2. For the office manager press 4.")
    cut = read_menu("For billing press 2. For the office" + " " + "manager press 4.")
    assert [(o.key, o.phrase) for o in cut.options] == [(o.key, o.phrase) for o in whole.options]


def test_prompt_cut_before_the_digit_has_no_option_yet():
    assert read_menu("For the office manager, press").options == ()


def test_trailing_phrase_may_still_grow_so_it_is_incomplete():
    option = read_menu("Press 4 for the office").options[0]
    assert option.key == "4" and not option.complete
    assert read_menu("Press 4 for the office manager.").options[0].complete


def test_extension_prompt_is_a_flag_not_an_option():
    menu = read_menu("If you know your party's extension, dial it now.")
    assert menu.extension_prompt
    assert menu.options == ()


def test_repeat_and_back_keys():
    menu = read_menu("To repeat these options press 9. To return to the main menu press star.")
    assert menu.repeat_key == "9"
    assert menu.back_key == "*"
    assert menu.choices == ()


def test_stay_on_the_line_is_an_option_without_a_key():
    menu = read_menu("For billing press 2. For all other questions, please stay on the line.")
    stay = [o for o in menu.options if o.kind is OptionKind.STAY]
    assert menu.stay_on_line_offered
    assert stay[0].key is None and stay[0].phrase == "for all other questions"


def test_stay_on_the_line_with_the_phrase_after():
    stay = read_menu("Stay on the line to speak with the receptionist.").options[0]
    assert stay.kind is OptionKind.STAY and "receptionist" in stay.phrase


def test_911_is_an_emergency_instruction_not_a_choice():
    menu = read_menu("If this is a medical emergency, please hang up and dial 9 1 1. For billing press 2.")
    emergency = [o for o in menu.options if o.kind is OptionKind.EMERGENCY]
    assert emergency and emergency[0].key == "911"
    assert [o.key for o in menu.choices] == ["2"]


def test_speech_menu_say_word():
    menu = read_menu("Say billing for billing questions. Say office manager to reach the office manager.")
    said = {o.say: o.phrase for o in menu.options}
    assert said["office manager"] == "to reach the office manager"
    assert all(o.kind is OptionKind.SPEECH for o in menu.options)


def test_speech_menu_examples():
    menu = read_menu("You can say things like appointments, billing, or office manager.")
    assert [o.say for o in menu.options] == ["appointments", "billing", "office manager"]


def test_press_or_say_is_one_option():
    menu = read_menu("For billing press 2 or say billing.")
    assert len(menu.options) == 1
    assert (menu.options[0].key, menu.options[0].say) == ("2", "billing")


def test_no_options_in_plain_speech():
    assert read_menu("Thank you for calling Lakeside Orthopedics, this is Amy.").options == ()


def test_rejects_non_text():
    with pytest.raises(TypeError, match="menu text must be a str"):
        read_menu(None)
