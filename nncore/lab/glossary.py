"""The glossary: every term the app uses, defined once, in a sentence a beginner reads.

The app shows a term's sentence where the term first appears on a page (a help icon or a hover)
and lists them all in the Glossary of "Start here". Keys are the terms as the app writes them.
"""

GLOSSARY = {
    "pixel": "One of the 64 numbers of a digit: how much ink its 4×4 block of the scan holds, from 0 (paper) to 16.",
    "standardization": "Shifting and scaling each pixel so that over the training digits it has mean 0 and spread "
                       "1, so every input starts on the same footing; the network sees these numbers, not the raw "
                       "0–16.",
    "hidden unit": "One neuron of the hidden layer: it takes a weighted sum of the 64 pixels, adds a bias and "
                   "passes the result through the activation.",
    "weights": "The numbers the network learns: W1 (64 × hidden) weighs the pixels for each hidden unit, W2 "
               "(hidden × 10) weighs the hidden units for each digit.",
    "activation": "The bend each hidden unit applies to its weighted sum (ReLU, leaky ReLU, tanh or sigmoid); "
                  "without it two layers would be no better than one.",
    "ReLU": "The activation max(0, z): it passes a positive sum through and outputs 0 otherwise.",
    "fire": "A hidden unit fires when its output is above its resting level: above 0 for ReLU and tanh, above "
            "one half for sigmoid.",
    "dead unit": "A hidden unit whose slope is (almost) zero on every digit, so no gradient reaches its weights "
                 "and it stops learning: a ReLU unit that never fires, or a tanh or sigmoid unit stuck in its "
                 "flat part.",
    "logit": "The score the network gives each digit before the softmax: any number, larger meaning more likely.",
    "softmax": "Turns the ten logits into ten probabilities that add up to 1: exp of each logit, divided by "
               "their sum.",
    "cross-entropy": "The loss of one digit: minus the log of the probability the network gave the right answer; "
                     "0 when it was sure and right, large when it was sure and wrong.",
    "loss": "How wrong the network is, as one number to make smaller: here the mean cross-entropy over digits "
            "(with L2 on, training also makes the L2 penalty smaller; the charts show the cross-entropy alone).",
    "gradient": "For each weight, how much the loss changes when that weight grows a little; training moves "
                "every weight against it.",
    "backpropagation": "Working out every weight's gradient with the chain rule, from the loss back through the "
                       "softmax, W2, the activation and W1.",
    "learning rate": "How far each step moves the weights against their gradient; too small learns slowly, too "
                     "large overshoots or diverges.",
    "optimizer": "The rule that turns gradients into steps: plain SGD, SGD with momentum, or Adam.",
    "batch": "The digits one gradient step is computed from; a smaller batch means more, noisier steps per epoch.",
    "epoch": "One pass over all the training digits.",
    "training split": "The digits the network learns from; it never sees the others while it trains.",
    "validation split": "Digits held out from training and checked after every epoch, to choose the kept epoch "
                        "and see overfitting; they guide choices, so they are not the final test.",
    "test split": "Digits used only once, at the end, to measure how well the finished network reads digits it "
                  "has never seen.",
    "accuracy": "The share of digits whose most likely answer is the right one.",
    "diverged": "Training blew up: the steps were so large that the loss became infinite or not a number.",
    "overfitting": "The network learning the training digits' quirks rather than what makes a digit: training "
                   "loss keeps falling while validation loss turns up.",
    "L2 weight decay": "A penalty on large weights added to the training loss, pulling every weight a little "
                       "towards 0 at each step; a cure for overfitting.",
    "early stopping": "Ending training once the validation loss has not improved for a number of epochs "
                      "(the patience).",
    "capacity": "How much a network can learn, set here by the number of hidden units.",
    "augmentation": "Adding distorted copies of the training digits (rotated, slanted, shifted, thicker or "
                    "thinner) so the network learns to read digits that are not neatly scanned.",
    "ensemble": "Several networks trained side by side and their answers averaged; steadier than any one of them.",
    "saliency": "A map of how much each pixel would change the network's score for a digit (its logit) if it were "
                "inked a little more or less.",
    "calibration": "Whether the network's confidence matches how often it is right: of the digits it is 90% sure "
                   "of, about 90% should be right.",
    "ECE": "Expected calibration error: the average gap between confidence and accuracy over bins of "
           "confidence, weighted by how many digits fall in each.",
    "PCA": "Principal component analysis: the flat view of many numbers per digit that keeps as much of their "
           "spread as two axes can.",
    "t-SNE": "A map that places digits with similar numbers near each other; distances between far-apart groups "
             "and the groups' sizes mean little.",
    "confusion matrix": "A table counting, for each true digit, which digit the network answered.",
}


def define(term):
    """The glossary's sentence for ``term`` (a key of GLOSSARY); raises KeyError for a term it lacks,
    so a page cannot quote a definition that is not here."""
    return GLOSSARY[term]


def tip(*terms):
    """The sentences of ``terms`` as one hover text: 'Term: sentence' for each."""
    return "  \n".join(f"**{term}**: {define(term)}" for term in terms)
