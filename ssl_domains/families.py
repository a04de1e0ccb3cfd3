"""Find keras-hub's class of a given kind for a backbone's model family."""

from __future__ import annotations

from ssl_domains.errors import UserError


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def class_for(base, backbone):
    """The subclass of `base` (a keras-hub task or preprocessor) made for `backbone`.

    `class_for(keras_hub.models.MaskedLM, bert_backbone)` is `BertMaskedLM`.
    """
    for cls in _subclasses(base):
        if getattr(cls, "backbone_cls", None) is type(backbone):
            return cls
    raise UserError(f"keras-hub has no {base.__name__} for {type(backbone).__name__}")
