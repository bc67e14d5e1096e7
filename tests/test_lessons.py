"""nncore.lab.lessons: each lesson's answer and sentences, read off real runs -- one set of runs
that shows the lesson's effect and one that does not; the text differs and stays true."""

from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from nncore import TrainConfig, train
from nncore.lab import glossary, lessons
from nncore.lab.lessons import DEFAULT


@cache
def run(**settings):
    return train(replace(DEFAULT, **settings))


def runs(configs):
    return [run(**{k: v for k, v in c.to_dict().items() if v != getattr(DEFAULT, k)}) for c in configs]


def text(outcome):
    return " ".join(outcome.lines)


def test_every_lesson_has_a_question_with_three_or_four_answers_and_runs_of_its_own():
    assert len(lessons.LESSONS) == len(lessons.BY_KEY)
    for lesson in lessons.LESSONS:
        assert 3 <= len(lesson.options) <= 4, lesson.key
        assert lesson.configs and all(isinstance(c, TrainConfig) for c in lesson.configs)
        assert lesson.page.startswith("app_pages/") and lesson.question.endswith("?")


def test_the_verdict_says_whether_the_guess_was_right():
    outcome = lessons.Outcome(1, ("x",))
    options = ("a", "b", "c")
    assert outcome.verdict(options, 1) == "Your guess was right: b."
    assert outcome.verdict(options, 2) == "Your guess was c; the runs say b."


def test_bands_include_their_lower_edge():
    assert lessons._band(0.0999, lessons.FIRING_EDGES) == 0
    assert lessons._band(0.1, lessons.FIRING_EDGES) == 1
    assert lessons._band(0.8, lessons.FIRING_EDGES) == 3
    assert lessons._band(0.7999, lessons.FIRING_EDGES) == 2


# --- a hidden unit ---

def test_a_hidden_unit_half_the_layer_fires_for_a_digit_in_the_default_run():
    result = run()
    firing = lessons.firing(result)
    outcome = lessons.explain_unit([result])
    assert outcome.answer == 2 and 0.4 <= firing.share < 0.8
    assert f"{firing.share:.0%} of the layer" in text(outcome)
    assert f"unit {firing.unit}: it fires on {firing.on:.0%} of the {firing.digit}s" in text(outcome)
    assert firing.on > firing.off


def test_a_hidden_unit_a_run_where_a_minority_fires_says_so():
    result = run(lr=2.0, epochs=10)
    firing = lessons.firing(result)
    outcome = lessons.explain_unit([result])
    assert firing.share < 0.4 and outcome.answer == 1
    assert text(outcome) != text(lessons.explain_unit([run()]))
    assert f"{firing.share:.0%} of the layer" in text(outcome)


def test_a_hidden_unit_counts_silent_units_only_when_there_are_some():
    result = run()
    assert lessons.firing(result).silent == 0
    assert "Every unit fired on at least one test digit." in text(lessons.explain_unit([result]))


# --- the learning rate ---

def test_learning_rate_the_lesson_runs_find_the_best_rate_and_the_one_that_diverged():
    results = runs(lessons.LEARNING_RATE.configs)
    outcome = lessons.explain_lr(results)
    lowest = [min(r.history["val_loss"]) for r in results]
    assert outcome.answer == int(np.argmin(lowest))
    for r, line in zip(results, outcome.lines, strict=False):
        assert ("diverged at epoch" in line) == r.diverged
    slow = next(line for line in outcome.lines if line.startswith("Learning rate 0.001"))
    assert "still falling every epoch" in slow
    assert all("still falling" not in line for line in outcome.lines if line.startswith("Learning rate 1:"))
    if results[outcome.answer].config.lr != DEFAULT.lr:
        assert "lower than the default 0.1 reached" in outcome.lines[-1]


def test_learning_rate_runs_where_the_default_is_best_and_none_diverges_say_that_instead():
    results = runs([replace(DEFAULT, lr=lr) for lr in (0.001, 0.01, 0.1)])
    outcome = lessons.explain_lr(results)
    assert outcome.answer == 2
    assert outcome.lines[-1] == "The lowest validation loss came at learning rate 0.1."
    assert "diverged" not in text(outcome)
    assert text(outcome) != text(lessons.explain_lr(runs(lessons.LEARNING_RATE.configs)))


def test_a_run_whose_validation_loss_rose_says_how_far():
    result = run(optimizer="momentum", lr=1.0)
    low, last = min(result.history["val_loss"]), result.history["val_loss"][-1]
    assert last > 1.2 * low
    assert f"it rose to {last / low:.1f}× its lowest" in lessons._run_story(result, "x")


# --- capacity ---

def test_capacity_the_lesson_runs_gain_less_with_each_larger_layer():
    results = runs(lessons.CAPACITY.configs)
    outcome = lessons.explain_capacity(results)
    accuracy = [r.best_val_accuracy for r in results]
    assert outcome.answer == int(np.argmax(accuracy))
    gains = np.diff(accuracy)
    assert (np.diff(gains) < 0).all()
    assert "Each step bought less than the one before" in outcome.lines[-1]


def test_capacity_runs_whose_gains_do_not_shrink_say_so():
    results = runs([replace(DEFAULT, hidden=h) for h in (32, 64, 128, 256)])
    gains = np.diff([r.best_val_accuracy for r in results])
    assert not (np.diff(gains) < 0).all()
    outcome = lessons.explain_capacity(results)
    assert "The gains did not shrink step by step here." in outcome.lines[-1]
    assert f"The best validation accuracy came with {results[outcome.answer].config.hidden} hidden units." in text(
        outcome)


# --- activations ---

def test_activations_sigmoid_learns_slowest_at_the_default_rate():
    results = runs(lessons.ACTIVATION.configs)
    outcome = lessons.explain_activations(results)
    final = [r.history["val_loss"][-1] for r in results]
    assert outcome.answer == int(np.argmax(final)) == lessons.ACTIVATIONS.index("sigmoid")
    assert "Slowest: sigmoid" in outcome.lines[-1]
    sigmoid = results[-1]
    ratio = np.mean(sigmoid.history["grad_W1"]) / np.mean(sigmoid.history["grad_W2"])
    relu = np.mean(results[0].history["grad_W1"]) / np.mean(results[0].history["grad_W2"])
    assert ratio < relu and f"the gradient reaching W1 was {ratio:.2f}× the size of W2's" in outcome.lines[3]


def test_activations_a_run_without_health_histories_says_nothing_about_health():
    result = run(activation="tanh")
    bare = replace(result, history={k: v for k, v in result.history.items() if k in ("train_loss", "val_loss",
                                                                                     "train_acc", "val_acc")})
    assert lessons._health(bare) == "" and "dead" in lessons._health(result)


def test_activations_at_a_larger_rate_sigmoid_is_not_the_slowest_and_the_text_says_which_is():
    results = runs([replace(DEFAULT, activation=a, lr=1.0) for a in lessons.ACTIVATIONS])
    outcome = lessons.explain_activations(results)
    slowest = int(np.argmax([r.history["val_loss"][-1] for r in results]))
    assert outcome.answer == slowest != lessons.ACTIVATIONS.index("sigmoid")
    assert f"Slowest: {lessons.ACTIVATION_NAMES[lessons.ACTIVATIONS[slowest]]}" in outcome.lines[-1]


# --- optimizers ---

def test_optimizers_adam_does_worst_at_sgds_rate():
    outcome = lessons.explain_optimizers(runs(lessons.OPTIMIZER.configs))
    assert outcome.answer == lessons.OPTIMIZERS.index("adam")
    assert outcome.lines[-1].startswith("At learning rate 0.1, Adam did worst")


def test_optimizers_at_a_rate_that_suits_adam_adam_is_not_the_worst():
    configs = [replace(DEFAULT, optimizer=o, lr=lr) for o in lessons.OPTIMIZERS for lr in (0.003, 0.1)]
    outcome = lessons.explain_optimizers(runs(configs))
    assert outcome.answer != lessons.OPTIMIZERS.index("adam")
    assert outcome.lines[-1].startswith("At learning rate 0.003")
    assert text(outcome) != text(lessons.explain_optimizers(runs(lessons.OPTIMIZER.configs)))


def test_losses_within_the_factor_count_as_the_same_and_beyond_it_do_not():
    assert lessons.worst_of([1.0, lessons.SAME, 1.1]) is None
    assert lessons.worst_of([1.0, lessons.SAME * 1.001, 1.1]) == 1


# --- real handwriting ---

def test_handwriting_the_default_network_reads_distorted_digits_far_worse_than_the_augmented_one():
    results = runs(lessons.HANDWRITING.configs)
    outcome = lessons.explain_handwriting(results)
    plain, augmented = (lessons.distorted_accuracy(r) for r in results)
    drop = results[0].test_accuracy - plain
    assert outcome.answer == lessons._band(drop, lessons.DROP_EDGES) == 2
    assert f"{drop * 100:.1f} points lower" in outcome.lines[0]
    assert augmented > plain and "more correctly" in outcome.lines[-1]


def test_handwriting_an_augmented_network_first_loses_less_and_the_text_says_so():
    results = runs(lessons.HANDWRITING.configs[::-1])
    outcome = lessons.explain_handwriting(results)
    drop = results[0].test_accuracy - lessons.distorted_accuracy(results[0])
    assert drop < lessons.DROP_EDGES[1] and outcome.answer == lessons._band(drop, lessons.DROP_EDGES) != 2
    assert "fewer correctly" in outcome.lines[-1]


# --- glossary ---

def test_the_glossary_defines_each_term_once_in_a_sentence():
    for term, sentence in glossary.GLOSSARY.items():
        assert sentence[0].isupper() and sentence.endswith("."), term
    assert glossary.tip("epoch").startswith("**epoch**: One pass")


def test_a_term_missing_from_the_glossary_is_an_error_not_an_empty_tip():
    with pytest.raises(KeyError):
        glossary.define("no such term")


# --- standardization ---

def test_standardization_raw_pixels_do_worst_at_03_with_most_units_dead():
    results = runs(lessons.STANDARDIZATION.configs)
    outcome = lessons.explain_scaling(results)
    raw = next(r for r in results if r.config.scaling == "none" and r.config.lr == 0.3)
    standardized = next(r for r in results if r.config.scaling == "standardize" and r.config.lr == 0.3)
    assert outcome.answer == lessons.SCALINGS.index("none")
    assert raw.history["dead_units"][-1] > 0.5 and standardized.history["dead_units"][-1] == 0
    assert f"{raw.history['dead_units'][-1]:.0%} of hidden units dead" in outcome.lines[0]
    assert outcome.lines[-1].startswith("At learning rate 0.3, raw pixels (0–16) did worst")


def test_standardization_at_01_raw_pixels_are_not_the_worst_and_the_text_says_which_is():
    configs = [replace(DEFAULT, scaling=s, lr=lr) for s in lessons.SCALINGS for lr in (0.1, 0.3)]
    results = runs(configs)
    outcome = lessons.explain_scaling(results)
    lowest = [min(r.history["val_loss"]) for r in results if r.config.lr == 0.1]
    assert outcome.answer != lessons.SCALINGS.index("none")
    if lessons.worst_of(lowest) is None:
        assert "all three ended within" in outcome.lines[-1]
    else:
        worst = lessons.SCALING_NAMES[lessons.SCALINGS[lessons.worst_of(lowest)]]
        assert outcome.lines[-1].startswith(f"At learning rate 0.1, {worst} did worst")


# --- overfitting ---

def test_overfitting_noisy_labels_make_validation_loss_rise_while_training_loss_falls():
    results = runs(lessons.OVERFITTING.configs)
    outcome = lessons.explain_overfitting(results)
    noisy = results[0]
    low = int(np.argmin(noisy.history["val_loss"]))
    assert outcome.answer == 2 and noisy.history["val_loss"][-1] > lessons.RISE * noisy.history["val_loss"][low]
    assert noisy.history["train_loss"][-1] < noisy.history["train_loss"][low]
    assert f"lowest at epoch {low + 1}" in outcome.lines[0] and "memorised wrong labels" in outcome.lines[0]
    stopped = results[2]
    assert stopped.ended == "early stopping" and f"early stopping ended it at epoch {stopped.epochs_run}" in text(
        outcome)


def test_overfitting_with_l2_as_the_main_run_the_loss_does_not_rise_and_the_text_does_not_say_so():
    l2_run, *others = runs(lessons.OVERFITTING.configs[1:2] + lessons.OVERFITTING.configs[:1])
    outcome = lessons.explain_overfitting([l2_run, *others])
    assert outcome.answer == lessons.validation_shape(l2_run) != 2
    assert "memorised" not in outcome.lines[0]


def history(losses):
    from types import SimpleNamespace
    return SimpleNamespace(history={"val_loss": losses}, epochs_run=len(losses))


def test_a_validation_loss_counts_as_risen_only_beyond_the_factor():
    assert lessons.validation_shape(history([1.0, 0.5, 0.5 * lessons.RISE, 0.5, 0.5 * lessons.RISE])) == 1
    assert lessons.validation_shape(history([1.0, 0.5, 0.5, 0.5, 0.5 * lessons.RISE * 1.01])) == 2


def test_a_lowest_loss_in_the_last_tenth_of_the_run_counts_as_still_falling():
    losses = list(np.linspace(2, 1, 10))
    assert lessons.validation_shape(history(losses)) == 0                     # lowest at epoch 10 of 10
    assert lessons.validation_shape(history(losses[:9] + [losses[8] + 1e-6])) == 0  # epoch 9 >= 0.9 * 10
    assert lessons.validation_shape(history(losses[:8] + [losses[7] + 1e-6] * 2)) == 1  # epoch 8 < 9


def test_a_diverged_run_is_told_by_its_validation_accuracy_like_the_others():
    """The lesson told three runs by validation accuracy and the diverged one by test accuracy."""
    late, first = runs([replace(DEFAULT, lr=10.0), replace(DEFAULT, lr=50.0, epochs=2)])
    assert late.diverged and late.best_epoch >= 1 and first.diverged and first.best_epoch == 0
    told = lessons._run_story(late, "Learning rate 10")
    assert f"validation accuracy {late.best_val_accuracy:.1%} at its best epoch, {late.best_epoch}" in told
    assert "test accuracy" not in told
    told = lessons._run_story(first, "Learning rate 50")  # no epoch finished: no validation accuracy to tell
    assert f"test accuracy {first.test_accuracy:.1%} with its random first weights" in told
