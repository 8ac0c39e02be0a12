"""Docstring fragments shared by the estimators, filled in with ``%``-substitution.

As imbalanced-learn's ``Substitution``: a docstring names a fragment as ``%(name)s`` and the
decorator fills it in; a literal percent sign in such a docstring is written ``%%``.
"""


class Substitution:
    """Decorator of a class or function: ``__doc__ % params``; nothing under ``python -OO``,
    which strips docstrings (``__doc__`` is None)."""

    def __init__(self, **params):
        self.params = params

    def __call__(self, obj):
        if obj.__doc__ is not None:
            obj.__doc__ = obj.__doc__ % self.params
        return obj


#: The published API page of each public estimator (the docs site's ``generated/`` pages), which
#: scikit-learn's HTML diagram of a pipeline links each step's name to, as it does for its own.
API_PAGE_TEMPLATE = ("https://skfmnist.readthedocs.io/en/stable/generated/"
                     "{estimator_module}.{estimator_name}.html")

TRAINING_DATA = """\
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Training images, scaled (e.g. by :class:`~skfmnist.ImagePreprocessor`).
        y : array-like of shape (n_samples,)
            Class labels (integers or strings)."""

PREDICTION_DATA = """\
        X : array-like of shape (n_samples, n_pixels), (n, h, w) or (n, h, w, 1)
            Images, scaled as the training images were."""

LR_SCHEDULE = """\
        How the learning rate changes, step by step, over the epochs of one ``fit``: not at
        all; multiplied by ``lr_decay`` per epoch; along a half cosine from ``learning_rate``
        to 0; or one cycle: up from a fifth of ``learning_rate`` to it at 23 % of training,
        then linearly down to 0. Each ``fit`` (also a warm-started one) runs the whole schedule;
        ``partial_fit`` trains its one epoch at ``learning_rate``."""

TRAINING_PARAMETERS = """\
    optimizer : {"adam", "sgd", "rmsprop"}, default="adam"
        Optimiser; ``"sgd"`` uses Nesterov momentum 0.9.
    lr_decay : float, default=0.9
        Per-epoch factor for ``lr_schedule="exponential"``.
    ema_momentum : float or None, default=None
        If set, an exponential moving average of the weights (Keras's optimiser ``use_ema``,
        this momentum per step) replaces the trained weights when ``fit`` ends, and batch-norm
        statistics are re-estimated for it on 50 training batches. Cannot be combined with
        ``early_stopping``, whose restore would replace the averaged weights.
    lookahead : int or None, default=None
        If set, Lookahead (Zhang et al., 2019) around the optimiser: every ``lookahead``
        steps, and at the end of every epoch, a slow copy of the weights moves halfway to the
        optimiser's, and training goes on from it. Epochs end on the slow weights, which are
        what the fitted estimator keeps. Cannot be combined with ``ema_momentum``, whose
        average of the optimiser's weights would replace them.
    calibration : {"temperature"} or None, default="temperature"
        Calibrated probabilities: ``fit`` ends by fitting one temperature (for the CNN, one
        per test-time augmentation) on held-out rows, the validation split's or else 5 % of
        the training rows (stratified, seeded; not trained on), so that ``predict_proba``'s
        confidence matches how often the prediction is right. The predicted classes do not
        change. None trains on every row and returns the network's own probabilities, which
        label smoothing and test-time augmentation make less confident than they should be
        (and long training more confident). It is saved, exported and reproducible with the
        estimator.
    batch_size : int, default=128
        Images per gradient step.
    validation_split : float, default=0.0
        Fraction of the training data held out (stratified, seeded) to report ``val_loss`` and
        ``val_accuracy`` in ``history_`` and to drive early stopping.
    early_stopping : bool, default=False
        Stop when the validation loss (the training loss without a validation split) has not
        improved for ``patience`` epochs, and restore the weights of the best epoch.
    patience : int, default=5
        Epochs without improvement before early stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, dropout, augmentation and the shuffling of the data.
        An int gives identical results for every fit, in any process, without changing
        TensorFlow's, NumPy's or Python's global random state. None gives a new initialisation
        each fit.
    verbose : int, default=0
        0 is silent, 1 shows Keras's progress bar, 2 one line per epoch.
    warm_start : bool, default=False
        Keep the trained network across calls to ``fit`` and continue training it: the epoch
        count, ``history_`` and the shuffling go on. Parameters that define the network (its
        layers, optimiser, loss, ``random_state``) cannot change in between; those that steer
        training (``epochs``, ``learning_rate``, ``batch_size``, ...) can.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for ``fit`` and ``partial_fit``.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    checkpoint_dir : str or path-like, default=None
        If set, the weights of the best epoch so far (by ``val_loss``, or ``loss`` without a
        validation split) are kept in ``<checkpoint_dir>/best.weights.h5`` during ``fit``,
        replaced atomically; if the disk is full, training goes on with a warning and the
        last complete checkpoint stays. Independently of it, an interrupted fit (Ctrl-C,
        ``KeyboardInterrupt``) stops cleanly: the estimator keeps the best weights seen so far,
        with a warning, and ``history_`` holds the finished epochs."""

FITTED_ATTRIBUTES = """\
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit`` (strings work).
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Number of pixels per image seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` was given a DataFrame with string column names.
    model_ : keras.Model
        The trained network as Keras built it, training-only layers (augmentation, dropout)
        included. Prediction runs it without them, with test-time augmentation and
        calibration; to serve that outside Python, use :func:`skfmnist.export`, not
        ``model_.export``.
    temperatures_ : dict of str to float
        With ``calibration="temperature"``: the calibration temperature of each way of
        predicting, by ``tta`` ("None" for the MLP).
    history_ : dict of str to list of float
        Per-epoch ``loss``, ``accuracy`` and ``learning_rate`` (plus ``val_loss`` and
        ``val_accuracy`` with a validation split), over every epoch trained."""

