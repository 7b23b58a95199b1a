"""The navigator: ranking, the wait/decide rule, loops and dead ends."""
import pytest

from domain.menu_navigator import MenuNavigator, NavAction, TargetPolicy

MAIN = "For appointments press 1. For billing press 2. For the office manager press 4. For all other questions press 5."


def feed(nav, parts):
    decisions = []
    for i, part in enumerate(parts):
        d = nav.hear(part, final=i == len(parts) - 1)
        decisions.append(d)
        if d.action is not NavAction.WAIT:
            break
    return decisions


def test_presses_as_soon_as_the_decision_maker_is_heard():
    parts = ["For appointments press 1.", "For the office manager press 4.", "For billing press 2.",
             "For all other questions press 5."]
    decisions = feed(MenuNavigator(), parts)
    assert [d.action for d in decisions] == [NavAction.WAIT, NavAction.PRESS]
    assert decisions[-1].digits == "4"


def test_waits_on_weaker_options_and_decides_at_the_end():
    parts = ["For billing press 2.", "For the front desk press 3.", "For the nurse press 6."]
    decisions = feed(MenuNavigator(), parts)
    assert [d.action for d in decisions] == [NavAction.WAIT, NavAction.WAIT, NavAction.PRESS]
    assert decisions[-1].digits == "3"


def test_does_not_decide_on_a_phrase_that_may_still_grow():
    nav = MenuNavigator()
    assert nav.hear("Press 4 for the office").action is NavAction.WAIT
    d = nav.hear("manager's voicemail. Press 5 for the front desk.", final=True)
    assert d.digits == "5"


def test_front_desk_beats_operator_beats_scheduling_beats_avoided_lines():
    d = feed(MenuNavigator(), ["For refills press 1. For appointments press 2. For the operator press 0. "
                               "For the front desk press 3."])[-1]
    assert d.digits == "3"
    d = feed(MenuNavigator(), ["For refills press 1. For appointments press 2. For the operator press 0."])[-1]
    assert d.digits == "0"
    d = feed(MenuNavigator(), ["For refills press 1. For appointments press 2."])[-1]
    assert d.digits == "2"


def test_avoided_line_taken_only_when_nothing_else_is_left():
    d = feed(MenuNavigator(), ["For the nurse press 2."])[-1]
    assert d.action is NavAction.PRESS and d.digits == "2"


def test_never_the_emergency_line():
    d = feed(MenuNavigator(), ["For emergencies press 1."])[-1]
    assert d.action is NavAction.BACK_OUT and d.digits == "0"


def test_message_box_for_the_manager_ranks_below_the_front_desk():
    d = feed(MenuNavigator(), ["To leave a message for the office manager press 5. For the front desk press 1."])[-1]
    assert d.digits == "1"


def test_stays_on_the_line_when_a_person_will_answer():
    d = feed(MenuNavigator(), ["For billing press 2.", "For all other questions, please stay on the line."])[-1]
    assert d.action is NavAction.STAY_ON_LINE and d.digits == ""


def test_stay_on_the_line_does_not_beat_a_decision_maker_key():
    d = feed(MenuNavigator(), ["Stay on the line for the receptionist, or press 4 for the office manager."])[-1]
    assert d.digits == "4"


def test_speech_menu_says_the_word():
    d = feed(MenuNavigator(), ["You can say things like billing, appointments, or office manager."])[-1]
    assert d.action is NavAction.SAY and d.say == "office manager"


def test_contact_name_ranks_above_the_office_manager():
    policy = TargetPolicy().with_contact("Dana", "Reyes")
    d = feed(MenuNavigator(policy), ["For Dana Reyes press 7. For the office manager press 4."])[-1]
    assert d.digits == "7"


def test_known_extension_is_dialled_at_the_extension_prompt():
    nav = MenuNavigator(TargetPolicy(extension="214"))
    d = nav.hear("If you know your party's extension, dial it now.")
    assert d.action is NavAction.PRESS and d.digits == "214"


def test_unknown_extension_prompt_is_ignored():
    d = feed(MenuNavigator(), ["If you know your party's extension, dial it now. For the front desk press 1."])[-1]
    assert d.digits == "1"


def test_loop_takes_the_next_option_and_never_the_same_key_twice():
    nav = MenuNavigator()
    pressed = []
    for _ in range(5):
        d = nav.hear(MAIN, final=True)
        pressed.append(d.digits)
    # billing is avoided until nothing else is left; then back out to an operator
    assert pressed == ["4", "5", "1", "2", "0"]
    assert nav.hear(MAIN, final=True).action is NavAction.GIVE_UP


def test_loop_reason_names_the_loop():
    nav = MenuNavigator()
    nav.hear(MAIN, final=True)
    assert "loop" in nav.hear(MAIN, final=True).reason


def test_dead_end_voicemail_backs_out_with_zero_then_next_option():
    nav = MenuNavigator()
    assert nav.hear(MAIN, final=True).digits == "4"
    back = nav.reached_dead_end()
    assert back.action is NavAction.BACK_OUT and back.digits == "0"
    assert nav.hear(MAIN, final=True).digits == "5"


def test_dead_end_hang_up_redials_then_next_option():
    nav = MenuNavigator()
    nav.hear(MAIN, final=True)
    back = nav.reached_dead_end(hung_up=True)
    assert back.action is NavAction.BACK_OUT and back.digits == ""
    assert nav.hear(MAIN, final=True).digits == "5"


def test_menu_repeated_event_marks_the_last_choice():
    nav = MenuNavigator()
    nav.hear("For the front desk press 1. For billing press 2.", final=True)
    nav.menu_repeated()
    assert nav.hear("For the front desk press 1. For billing press 2.", final=True).digits == "2"


def test_a_new_menu_after_a_press_is_a_new_state():
    nav = MenuNavigator()
    assert nav.hear("For administration press 3.", final=True).digits == "3"
    d = nav.hear("For the practice administrator press 3.", final=True)
    assert d.digits == "3"  # same digit, different menu


def test_gives_up_after_max_presses():
    nav = MenuNavigator(TargetPolicy(max_presses=2))
    nav.hear("For the front desk press 1.", final=True)
    nav.hear("For the receptionist press 2.", final=True)
    assert nav.hear("For the office manager press 3.", final=True).action is NavAction.GIVE_UP


def test_nothing_heard_waits():
    nav = MenuNavigator()
    assert nav.hear("Please hold while we connect your call.", final=True).action in (
        NavAction.WAIT, NavAction.STAY_ON_LINE)
    assert nav.presses == []


def test_repeat_when_only_the_repeat_instruction_came_through():
    d = MenuNavigator().hear("To repeat these options, press 9.", final=True)
    assert d.action is NavAction.REPEAT and d.digits == "9"


def test_policy_from_settings_overrides_targets():
    policy = TargetPolicy.from_settings({"menu_targets": {"targets": [["billing"]], "avoid": []}})
    d = feed(MenuNavigator(policy), ["For the office manager press 4. For billing press 2."])[-1]
    assert d.digits == "2"


def test_policy_from_settings_adds_preferred_phrase_and_avoid():
    policy = TargetPolicy.from_settings({"prefer": ["credentialing"], "also_avoid": ["insurance"]})
    assert policy.rank("for credentialing") == policy.best_rank
    assert policy.rank("for insurance") == policy.avoid_rank
    assert TargetPolicy().rank("for insurance") == TargetPolicy().neutral_rank


@pytest.mark.parametrize("settings, message", [
    ({"targets": "office manager"}, "targets"),
    ({"colour": 1}, "unknown menu target setting"),
    ({"avoid": "billing"}, "'avoid' must be a list"),
    ({"extension": "12a"}, "extension must be"),
])
def test_policy_from_settings_rejects_bad_input(settings, message):
    with pytest.raises(ValueError, match=message):
        TargetPolicy.from_settings(settings)
