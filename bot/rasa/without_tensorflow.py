"""Serving a model whose components need no TensorFlow, without importing TensorFlow.

This project's pipeline and policies (``config.yml``) are spaCy, scikit-learn and rules;
none of them runs TensorFlow. Rasa 3.6.21 still imports it, with Keras, as soon as it loads
its policies: ``rasa.core.actions.action`` leads to ``rasa.utils.train_utils``, which
imports ``rasa.utils.tensorflow``, whose classes are built on ``tf.keras`` when the module
is read. That import alone held 500 MB of the Rasa server's 860 MB (``/proc/<pid>/status``
on this project's machine).

:func:`install` puts a placeholder in front of TensorFlow and the packages that import it
(:data:`PLACEHOLDER_PACKAGES`): every module, attribute or call of theirs is a
:class:`Placeholder`, a class that can be subclassed, called, compared and iterated as
nothing, so that Rasa's modules can be read. Nothing in a served model of this project
calls them. A model that does is refused when it is loaded (:func:`check_components`),
because a placeholder computes nothing.

Only the Rasa server's entry point installs it (``bot/rasa/run.py``), only for Rasa
:data:`RASA_VERSION`, whose imports it was written against; ``FRONTEN_SPEEDUPS_DISABLE=
without_tensorflow`` (or ``all``) leaves TensorFlow in, for measuring.
"""

from __future__ import annotations

import abc
import functools
import importlib.abc
import importlib.machinery
import logging
import sys
import types
from typing import Any, Iterable, Iterator, List, Optional, Sequence

logger = logging.getLogger(__name__)

# The release whose imports were read; another may use TensorFlow while importing.
RASA_VERSION = "3.6.21"
# TensorFlow, and what imports it when imported itself.
PLACEHOLDER_PACKAGES = (
    "tensorflow",
    "tensorflow_addons",
    "tensorflow_estimator",
    "tensorflow_hub",
    "tensorflow_probability",
    "tensorflow_text",
    "keras",
    "tensorboard",
    "jax",
    "jaxlib",
)
# Versions some packages compare when importing (thinc, Rasa's telemetry).
_VERSION = "0.0.0+placeholder"


class _Nothing:
    """Iterated, counted or tested, a placeholder is empty (a GPU list, a shape)."""

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False


class _PlaceholderType(_Nothing, abc.ABCMeta):
    """A placeholder class's own type: every attribute of the class is a placeholder."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        # A name's placeholder used as a decorator (``@tf.function``) hands back what it
        # decorates; a class built on one (``class RasaModel(tf.keras.Model)``) is made.
        if cls.__dict__.get("_stands_in") and len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]
        return super().__call__(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{cls.__qualname__}.{name}")

    def __or__(cls, other: Any) -> Any:
        return cls

    __ror__ = __or__


class Placeholder(_Nothing, metaclass=_PlaceholderType):
    """Stands in for any TensorFlow name; instances stand in for any value it returns."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Another placeholder, or the function it decorates."""
        # As a decorator (``@tf.function(...)``) it hands back what it decorates.
        if len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]
        return Placeholder()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Placeholder()


def _placeholder(qualname: str) -> type:
    """A new placeholder class, so that each name can be a base class of its own."""
    module, _, name = qualname.rpartition(".")
    namespace = {"__qualname__": qualname, "__module__": module, "_stands_in": True}
    return _PlaceholderType(name, (Placeholder,), namespace)


class _PlaceholderModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = _placeholder(f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _PlaceholderModule(spec.name)
        module.__path__ = []  # a package, so that any submodule can be imported
        module.__version__ = _VERSION
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Finds a placeholder for each of the packages, and any module inside them."""

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = tuple(packages)

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]], target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname.split(".", 1)[0] not in self.packages:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


def install() -> List[str]:
    """Puts the placeholders in front of the packages, for Rasa :data:`RASA_VERSION` only.

    Also makes Rasa refuse a model with a component that needs TensorFlow.

    Returns:
        The packages now served by placeholders; none on another Rasa version, or if one of
        them is imported already, since a real module and placeholders must not mix.
    """
    import rasa

    if installed():
        return list(PLACEHOLDER_PACKAGES)
    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is installed, but %s was written for Rasa %s: TensorFlow is imported.",
            rasa.__version__,
            __name__,
            RASA_VERSION,
        )
        return []
    if any(name.split(".", 1)[0] in PLACEHOLDER_PACKAGES for name in sys.modules):
        return []
    sys.meta_path.insert(0, _Finder(PLACEHOLDER_PACKAGES))
    _refuse_models_that_need_tensorflow()
    return list(PLACEHOLDER_PACKAGES)


def installed() -> bool:
    """Whether this process imports placeholders instead of TensorFlow."""
    return any(isinstance(f, _Finder) for f in sys.meta_path)


def needs_tensorflow(component: type) -> bool:
    """Whether a graph component, or a class it is built on, comes from a module using TF.

    Rasa's TensorFlow components (DIETClassifier, TEDPolicy, ResponseSelector,
    LanguageModelFeaturizer, ...) each name ``tf`` in their module; this project's do not.
    """
    for cls in component.__mro__:
        module = sys.modules.get(cls.__module__)
        if module is not None and any(_is_placeholder(v) for v in vars(module).values()):
            return True
    return False


def check_components(components: Iterable[type]) -> None:
    """Refuses a model that needs TensorFlow, when placeholders stand in for it.

    Raises:
        RuntimeError: A component needs TensorFlow.
    """
    if not installed():
        return
    for component in components:
        if needs_tensorflow(component):
            raise RuntimeError(
                f"{component.__name__} needs TensorFlow, which this Rasa server was started "
                "without; set FRONTEN_SPEEDUPS_DISABLE=without_tensorflow to serve this model."
            )


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, _PlaceholderModule) or (
        isinstance(value, type) and issubclass(value, Placeholder)
    )


def _refuse_models_that_need_tensorflow() -> None:
    from rasa.engine import loader

    original = loader.load_predict_graph_runner

    @functools.wraps(original)
    def load_predict_graph_runner(*args: Any, **kwargs: Any) -> Any:
        metadata, runner = original(*args, **kwargs)
        check_components(node.uses for node in metadata.predict_schema.nodes.values())
        return metadata, runner

    loader.load_predict_graph_runner = load_predict_graph_runner
