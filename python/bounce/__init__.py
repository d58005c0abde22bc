"""Bounce: loudness, processing, mastering and checking, on numpy arrays and sound files.

Arrays are float32 or float64 of shape (channels, frames), as Pedalboard takes them, or
(frames,) for mono; what comes back is float32. The sample rate is always explicit.

    import bounce
    report = bounce.analyze_file("mix.wav")            # the keys of `bounce analyze --json`
    chain = bounce.Chain([bounce.Compressor(threshold_db=-20, ratio=3),
                          bounce.Limiter(ceiling_dbtp=-1)])
    out = chain(audio, 48000)                            # aligned with the input
    bounce.master("mix.wav", "master.wav", target="apple", style="warm")
    bounce.automix("tracks/", "session.toml")             # a first mix of a folder of tracks

docs/python.md has a tour.
"""

from ._bounce import (  # noqa: F401
    AudioFile,
    Chain,
    Error,
    LoudnessMeter,
    Processor,
    album,
    analyze,
    analyze_file,
    automix,
    check,
    master,
    mix,
    processor_parameters,
    processor_types,
    write,
)

__all__ = [
    "AudioFile", "Chain", "Error", "LoudnessMeter", "Processor", "album", "analyze", "analyze_file", "automix", "check", "master",
    "mix",
    "processor_parameters", "processor_types", "write",
]


def _class_name(processor_type: str) -> str:
    """low_shelf -> LowShelf, de_esser -> DeEsser, eq -> Eq."""
    return "".join(part.capitalize() for part in processor_type.split("_"))


def _make_processor_class(processor_type: str) -> type:
    def __init__(self, **params):
        Processor.__init__(self, processor_type, **params)

    doc = f"The `{processor_type}` processor (docs/processors.md); keyword parameters as in chain files."
    return type(_class_name(processor_type), (Processor,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


# One class per processor type of the registry: bounce.Compressor(threshold_db=-20, ratio=3).
for _type in processor_types():
    globals()[_class_name(_type)] = _make_processor_class(_type)
    __all__.append(_class_name(_type))
del _type
