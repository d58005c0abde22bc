"""import bounce (issue 21): every function, against the CLI on the same input."""
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import bounce
from conftest import cli_json, run_cli

RATE = 48000


def write_float(path, audio, rate=RATE):
    bounce.write(str(path), audio, rate, bits="32f")
    return path


# ---- analysis ----

def test_analyze_array_equals_the_cli_on_the_same_samples(tmp_path, programme):
    ours = bounce.analyze(programme, RATE)
    cli = cli_json("analyze", "--json", write_float(tmp_path / "p.wav", programme))
    assert ours.keys() == cli.keys()
    for key in cli:
        if key not in ("path",):
            assert ours[key] == cli[key], key


def test_analyze_file_is_the_cli_json(tmp_path, programme):
    path = write_float(tmp_path / "p.wav", programme)
    assert bounce.analyze_file(str(path)) == cli_json("analyze", "--json", path)


def test_dtypes_layouts_and_mono_give_the_same_readings(programme):
    reference = bounce.analyze(programme, RATE)
    as64 = bounce.analyze(programme.astype(np.float64), RATE)
    strided = bounce.analyze(np.ascontiguousarray(programme.T).T, RATE)  # (channels, frames) view of frame-major memory
    assert as64["integrated_lufs"] == reference["integrated_lufs"]
    assert strided == reference
    mono = bounce.analyze(programme[0], RATE)
    assert mono["channels"] == 1


def test_wrong_arrays_raise_clear_errors(programme):
    with pytest.raises(TypeError, match="float32 or float64"):
        bounce.analyze((programme * 1000).astype(np.int16), RATE)
    with pytest.raises(ValueError, match="channels first"):
        bounce.analyze(np.ascontiguousarray(programme.T), RATE)
    with pytest.raises(ValueError, match="dimensions"):
        bounce.analyze(programme[np.newaxis], RATE)
    broken = programme.copy()
    broken[1, 1234] = np.nan
    with pytest.raises(ValueError, match="non-finite sample .* at frame 1234 in channel 2"):
        bounce.analyze(broken, RATE)
    with pytest.raises(ValueError, match="sample_rate"):
        bounce.analyze(programme, 0)


def test_streaming_meter_reads_what_analyze_reads(programme):
    meter = bounce.LoudnessMeter(RATE, 2)
    assert meter.momentary_lufs is None
    for start in range(0, programme.shape[1], 4800):
        meter.add(programme[:, start:start + 4800])
    assert meter.momentary_lufs is not None and meter.short_term_lufs is not None
    assert meter.readings()["integrated_lufs"] == bounce.analyze(programme, RATE)["integrated_lufs"]


# ---- processing ----

CHAIN_TOML = """
[[insert]]
type = "compressor"
threshold_db = -20
ratio = 3

[[insert]]
type = "limiter"
ceiling_dbtp = -1.0
"""


def test_chain_equals_bounce_process_bit_for_bit(tmp_path, programme):
    (tmp_path / "chain.toml").write_text(CHAIN_TOML)
    chain = bounce.Chain([bounce.Compressor(threshold_db=-20, ratio=3), bounce.Limiter(ceiling_dbtp=-1.0)])
    ours = chain(programme, RATE)
    assert ours.dtype == np.float32 and ours.shape == programme.shape
    run_cli("process", write_float(tmp_path / "in.wav", programme), "-o", tmp_path / "out.wav", "--chain", tmp_path / "chain.toml")
    with bounce.AudioFile(str(tmp_path / "out.wav")) as cli:
        assert np.array_equal(ours, cli.read())
    from_toml = bounce.Chain.from_toml(str(tmp_path / "chain.toml"))
    assert np.array_equal(from_toml(programme, RATE), ours)
    # float64 and frame-major memory are read as the same float32 samples.
    assert np.array_equal(chain(programme.astype(np.float64), RATE), ours)
    assert np.array_equal(chain(np.ascontiguousarray(programme.T).T, RATE), ours)
    mono = chain(programme[0], RATE)
    assert mono.shape == (programme.shape[1],)
    assert chain.latency > 0  # the limiter looks ahead; the call compensated it


def test_blocks_of_64_and_one_call_give_the_same_samples(programme):
    chain = bounce.Chain([bounce.Compressor(threshold_db=-24, ratio=4), bounce.Peak(freq_hz=1000, gain_db=3, q=1)])
    part = programme[:, :48000]
    whole = chain.process(part, RATE)
    chain.reset()
    blocks = np.concatenate([chain.process(part[:, i:i + 64], RATE) for i in range(0, part.shape[1], 64)], axis=1)
    assert np.array_equal(whole, blocks)


def test_parameter_errors_are_value_errors_with_the_cli_message(tmp_path, programme):
    (tmp_path / "bad.toml").write_text('[[insert]]\ntype = "compressor"\nratio = 0\n')
    song = write_float(tmp_path / "in.wav", programme)
    cli = run_cli("process", song, "-o", tmp_path / "o.wav", "--chain", tmp_path / "bad.toml", check=False).stderr
    with pytest.raises(ValueError) as raised:
        bounce.Compressor(ratio=0)
    message = str(raised.value)
    assert message == "compressor: " + cli.split("bad.toml:3: ")[1].strip()
    with pytest.raises(ValueError, match="unknown key 'ratioo'"):
        bounce.Compressor(ratioo=2)
    with pytest.raises(ValueError, match="unknown processor type"):
        bounce.Processor("fuzz")


LSP_EQ = "http://lsp-plug.in/plugins/lv2/para_equalizer_x16_stereo"


@pytest.mark.skipif(not Path("/usr/lib/lv2/lsp-plugins.lv2").exists(), reason="lsp-plugins-lv2 not installed")
def test_an_lv2_plugin_is_a_processor_as_in_chain_files(tmp_path, programme):
    bell = dict(ft_0=1, fm_0=1, f_0=1000.0, g_0=2.0, q_0=1.0)
    (tmp_path / "lv2.toml").write_text(
        f'[[insert]]\ntype = "lv2"\nuri = "{LSP_EQ}"\n[insert.params]\n' + "".join(f"{k} = {v}\n" for k, v in bell.items()))
    ours = bounce.Chain([bounce.Lv2(uri=LSP_EQ, **bell)])(programme, RATE)
    run_cli("process", write_float(tmp_path / "in.wav", programme), "-o", tmp_path / "out.wav", "--chain", tmp_path / "lv2.toml")
    with bounce.AudioFile(str(tmp_path / "out.wav")) as cli:
        assert np.array_equal(ours, cli.read())
    with pytest.raises(ValueError, match="f_0 must be between 10 and 24000"):
        bounce.Lv2(uri=LSP_EQ, f_0=30000.0)


def test_every_processor_type_is_a_class():
    for processor_type in bounce.processor_types():
        name = "".join(part.capitalize() for part in processor_type.split("_"))
        assert issubclass(getattr(bounce, name), bounce.Processor), name


# ---- files ----

def test_audio_file_streams_and_write_round_trips(tmp_path, programme):
    path = tmp_path / "t.flac"
    bounce.write(str(path), programme, RATE, bits="24", tags={"title": "Tëst", "artist": "A"})
    with bounce.AudioFile(str(path)) as f:
        assert (f.sample_rate, f.channels, f.frames) == (RATE, 2, programme.shape[1])
        blocks = [f.read(10000) for _ in range(5)]
        rest = f.read()
    back = np.concatenate(blocks + [rest], axis=1)
    assert back.shape == programme.shape
    assert np.max(np.abs(back - programme)) <= 0.5 / 2 ** 23 + 1e-9  # rounded to 24 bits
    assert bounce.analyze_file(str(path))["integrated_lufs"] == cli_json("analyze", "--json", path)["integrated_lufs"]
    assert "Tëst" in run_cli("analyze", path).stdout


# ---- jobs ----

def test_master_of_a_path_returns_the_cli_report(tmp_path, programme):
    song = write_float(tmp_path / "song.wav", programme)
    ours = bounce.master(str(song), str(tmp_path / "ours.wav"), target="apple", style="warm")
    run_cli("master", song, "-o", tmp_path / "cli.wav", "--target", "apple", "--style", "warm", "--json", tmp_path / "cli.json")
    cli = cli_json("analyze", "--json", tmp_path / "cli.wav")
    assert ours["output"]["integrated_lufs"] == cli["integrated_lufs"]
    assert ours["output"]["true_peak_dbtp"] == cli["true_peak_dbtp"]
    assert (tmp_path / "ours.wav").read_bytes() == (tmp_path / "cli.wav").read_bytes()


def test_master_of_an_array_returns_the_master(tmp_path, programme):
    report = bounce.master(programme, sample_rate=RATE, lufs=-12, ceiling=-1.5)
    audio = report["audio"]
    assert audio.dtype == np.float32 and audio.shape == programme.shape
    measured = bounce.analyze(audio, report["sample_rate"])
    assert abs(measured["integrated_lufs"] + 12) <= 0.2
    assert measured["true_peak_dbtp"] <= -1.5
    with pytest.raises(ValueError, match="sample_rate"):
        bounce.master(programme)
    with pytest.raises(ValueError, match="--target"):
        bounce.master(programme, sample_rate=RATE, target="nowhere")


def test_mix_check_and_album(tmp_path, programme):
    write_float(tmp_path / "vox.wav", programme)
    (tmp_path / "session.toml").write_text('[[track]]\nname = "vox"\nfile = "vox.wav"\n')
    mixed = bounce.mix(str(tmp_path / "session.toml"), str(tmp_path / "mix.wav"))
    assert mixed["mix"]["integrated_lufs"] == cli_json("analyze", "--json", tmp_path / "mix.wav")["integrated_lufs"]
    checked = bounce.check(str(tmp_path / "mix.wav"), codecs=False)
    run_cli("check", tmp_path / "mix.wav", "--no-codecs", "--json", tmp_path / "check.json")
    import json
    assert checked == json.loads((tmp_path / "check.json").read_text())
    (tmp_path / "album.toml").write_text('title = "A"\nartist = "B"\n[[track]]\nfile = "vox.wav"\ntitle = "One"\n')
    made = bounce.album(str(tmp_path / "album.toml"), str(tmp_path / "out"))
    assert Path(made["tracks"][0]["file"]).exists()


def test_automix_is_the_cli_report_and_writes_the_same_session(tmp_path, programme):
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    for name, gain in (("vox", 1.0), ("bass", 0.3), ("drums", 2.0)):
        write_float(tracks / f"{name}.wav", programme * gain)
    ours = bounce.automix(str(tracks), str(tmp_path / "ours.toml"))
    run_cli("automix", tracks, "-o", tmp_path / "cli.toml", "--json", tmp_path / "cli.json")
    import json
    cli = json.loads((tmp_path / "cli.json").read_text())
    session = (tmp_path / "cli.toml").read_text()
    assert (tmp_path / "ours.toml").read_text() == session and ours["session_toml"] == session
    assert ours["session"] == str(tmp_path / "ours.toml")
    assert {k: v for k, v in ours.items() if k not in ("session", "session_toml")} == {k: v for k, v in cli.items() if k != "session"}
    assert [t["role"] for t in ours["tracks"]] == ["bass", "drums", "vocal"]
    # Without an output nothing is written, and the files are named as from the folder.
    loose = bounce.automix(str(tracks))
    assert loose["session"] is None and [t["file"] for t in loose["tracks"]] == ["bass.wav", "drums.wav", "vox.wav"]
    assert sorted(p.name for p in tracks.iterdir()) == ["bass.wav", "drums.wav", "vox.wav"]
    # Never over a track; an empty folder is the CLI's message.
    with pytest.raises(bounce.Error, match="input"):
        bounce.automix(str(tracks), str(tracks / "vox.wav"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no audio files"):
        bounce.automix(str(tmp_path / "empty"))


def test_the_gil_is_released_during_a_long_master(programme):
    long = np.tile(programme, 6)  # a minute
    ticks = 0
    stop = False

    def count():
        nonlocal ticks
        while not stop:
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=count)
    thread.start()
    started = time.monotonic()
    bounce.master(long, sample_rate=RATE)
    elapsed = time.monotonic() - started
    stop = True
    thread.join()
    # Holding the GIL, the counter would stall for the whole master.
    assert ticks > 0.15 * elapsed / 0.001, (ticks, elapsed)


def test_ctrl_c_stops_a_long_master_and_leaves_nothing(tmp_path, programme):
    import _thread
    import glob
    import tempfile

    long = np.tile(programme, 12)  # two minutes
    before = set(glob.glob(f"{tempfile.gettempdir()}/bounce-python-*"))
    timer = threading.Timer(0.2, _thread.interrupt_main)  # as Ctrl-C would, in the main thread
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        bounce.master(long, str(tmp_path / "m.wav"), sample_rate=RATE)
    timer.join()
    assert time.monotonic() - started < 5.0, "the interrupt waited for the end"
    assert not (tmp_path / "m.wav").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "a temporary was left"
    assert set(glob.glob(f"{tempfile.gettempdir()}/bounce-python-*")) == before


def test_sessions_and_manifests_as_dicts(tmp_path, programme, monkeypatch):
    write_float(tmp_path / "vox.wav", programme)
    monkeypatch.chdir(tmp_path)  # relative names in a dict are the caller's
    session = {"tail_s": 1.0, "track": [{"name": "vox", "file": "vox.wav", "gain_db": -3.0}]}
    from_dict = bounce.mix(session, "dict.wav")
    (tmp_path / "s.toml").write_text('tail_s = 1.0\n[[track]]\nname = "vox"\nfile = "vox.wav"\ngain_db = -3.0\n')
    run_cli("mix", tmp_path / "s.toml", "-o", tmp_path / "file.wav")
    assert (tmp_path / "dict.wav").read_bytes() == (tmp_path / "file.wav").read_bytes()
    assert from_dict["mix"]["integrated_lufs"] is not None
    with pytest.raises(ValueError, match="^the session dict: .*unknown key 'gian_db'"):
        bounce.mix({"track": [{"name": "vox", "file": "vox.wav", "gian_db": 1}]}, "x.wav")
    made = bounce.album({"title": "A", "artist": "B", "track": [{"file": "vox.wav", "title": "One"}]}, "out")
    assert Path(made["tracks"][0]["file"]).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bounce-")] == [], "the dict's TOML was left behind"


def test_parameters_seek_and_meter_reset(tmp_path, programme):
    keys = {p["key"]: p for p in bounce.processor_parameters("compressor")}
    assert keys["ratio"]["min"] == 1 and keys["ratio"]["max"] == 100 and keys["threshold_db"]["unit"] == "dBFS"
    path = write_float(tmp_path / "p.wav", programme)
    with bounce.AudioFile(str(path)) as f:
        f.seek(1000)
        assert np.array_equal(f.read(500), programme[:, 1000:1500])
    meter = bounce.LoudnessMeter(RATE, 2)
    meter.add(programme)
    meter.reset()
    assert meter.momentary_lufs is None and meter.readings()["integrated_lufs"] is None
