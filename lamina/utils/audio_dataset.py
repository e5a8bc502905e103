"""`audio_dataset_from_directory`: a Dataset of (audio, label) batches from class folders of
.wav files, read with the standard library's `wave` module.

As Keras: each file becomes float32 (samples, channels) in [-1, 1] (8-bit PCM (x - 128) /
128, 16-bit x / 32768, 24-bit x / 2^23, 32-bit x / 2^31); `sampling_rate` resamples files
of another rate with `scipy.signal.resample` (FFT; as Keras's grain path);
`output_sequence_length` truncates or zero-pads every file, otherwise each batch is padded
to its longest file. Folder indexing, shuffling, labels and validation splits are those of
`image_dataset_from_directory` (lamina/utils/directory_dataset.py).
"""
import wave

import numpy as np

from lamina.utils.directory_dataset import build_datasets, check_label_args

AUDIO_FORMATS = (".wav",)


def read_wav(path):
    """(float32 (samples, channels) in [-1, 1], sample rate) of a PCM .wav file."""
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"cannot read {path} as a PCM .wav file: {e}") from e
    if width == 1:
        audio = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        audio = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        audio = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype(np.float32) / float(1 << 23)
    elif width == 4:
        audio = (np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    else:
        raise ValueError(f"{path}: unsupported sample width of {width} bytes")
    return audio.reshape(-1, channels), rate


def _resample(audio, rate, target, path):
    if rate == target or len(audio) == 0:
        return audio
    try:
        from scipy import signal  # noqa: PLC0415  (optional: only for sampling_rate)
    except ImportError as e:
        raise ImportError(f"audio_dataset_from_directory(sampling_rate={target}) needs scipy to "
                          f"resample {path} ({rate} Hz): pip install scipy") from e
    n = max(1, int(round(len(audio) * target / rate)))
    return signal.resample(audio, n, axis=0).astype(np.float32)


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 batch_size=32, sampling_rate=None, output_sequence_length=None,
                                 ragged=False, shuffle=True, seed=None, validation_split=None,
                                 subset=None, follow_links=False, verbose=True):
    """A `Dataset` of (audio, labels) batches: audio float32 (batch, samples, channels); labels
    as in `image_dataset_from_directory`; `subset="both"` returns (training, validation)."""
    check_label_args(labels, label_mode, class_names, "audio")
    if ragged and output_sequence_length is not None:
        raise ValueError("audio_dataset_from_directory: cannot set both `ragged` and "
                         "`output_sequence_length`")
    if ragged:
        raise NotImplementedError("audio_dataset_from_directory(ragged=True): lamina has no ragged "
                                  "tensors; leave ragged=False (batches are zero-padded to their "
                                  "longest file) or set output_sequence_length")
    if sampling_rate is not None and (isinstance(sampling_rate, bool)
                                      or not isinstance(sampling_rate, int) or sampling_rate <= 0):
        raise ValueError(f"audio_dataset_from_directory: `sampling_rate` must be a positive "
                         f"integer, got {sampling_rate!r}")
    if output_sequence_length is not None and (
            isinstance(output_sequence_length, bool) or int(output_sequence_length) <= 0):
        raise ValueError("audio_dataset_from_directory: `output_sequence_length` must be a "
                         f"positive integer, got {output_sequence_length!r}")

    def load(path):
        audio, rate = read_wav(path)
        if sampling_rate is not None:
            audio = _resample(audio, rate, sampling_rate, path)
        if output_sequence_length is not None:
            n = int(output_sequence_length)
            audio = audio[:n]
            if len(audio) < n:
                audio = np.concatenate([audio, np.zeros((n - len(audio), audio.shape[1]),
                                                        np.float32)])
        return audio

    return build_datasets(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                          validation_split, subset, follow_links, verbose, AUDIO_FORMATS, load,
                          "audio", padded=output_sequence_length is None)
