"""The benchmark corpus: accuracy targets (not speed) hold."""
from benchmarks.phone_tree import greeting_scores, load, menu_accuracy, shortest, walk


def test_corpus_is_big_enough():
    assert len(load("menus")) >= 80
    assert len(load("greetings")) >= 60


def test_navigator_accuracy_at_least_95_percent_however_the_menu_is_cut():
    per_mode, misses = menu_accuracy(load("menus"))
    assert min(per_mode.values()) >= 0.95, misses


def test_greeting_accuracy_at_least_95_percent():
    accuracy, scores, misses = greeting_scores(load("greetings"))
    assert accuracy >= 0.95, misses
    assert scores["human"][0] >= 0.95  # a machine taken for a person is the costly mistake


def test_trees_reach_a_person():
    trees = load("trees")
    walks = [walk(t) for t in trees]
    assert all(w.reached for w in walks), [(t["id"], w) for t, w in zip(trees, walks)]
    at_shortest = sum(w.steps == shortest(t) for t, w in zip(trees, walks))
    assert at_shortest / len(trees) >= 0.7
