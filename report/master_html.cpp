// The `bounce master --report` page: the mix and the master side by side, one
// self-contained HTML file (inline SVG, no script, no network) drawn from the MasterResult
// and the check layer's views of both files, so the page and the JSON cannot disagree.
#include "bounce/master_report.h"

#include "html_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bounce {
namespace {

using namespace html;

// What the limiter and the multiband bands took, over time.
std::string gainReductionChart(const MasterResult& m) {
    const double end = m.gainReduction.empty() ? 1.0 : std::max(1.0, m.gainReduction.back().seconds);
    double most = 1.0;
    for (const auto& p : m.gainReduction) most = std::max({most, p.limiterDb, p.bandsDb[0], p.bandsDb[1], p.bandsDb[2]});
    const double depth = std::ceil(most / 3.0) * 3.0;
    const Axes axes{0.0, end, -depth, 0.0};
    std::vector<Series> series;
    if (m.limiterRan) series.push_back({"limiter", {}, 1.8});
    static const char* const kBands[] = {"low band", "mid band", "high band"};
    if (m.multibandRan)
        for (const char* band : kBands) series.push_back({band, {}, 1.0});
    // At most 2000 points a line (an hour has 36 000 blocks): each the most of its group, so
    // no reduction is hidden by the thinning.
    const std::size_t group = std::max<std::size_t>(1, (m.gainReduction.size() + 1999) / 2000);
    for (std::size_t i = 0; i < m.gainReduction.size(); i += group) {
        MasterResult::GainReductionPoint most = m.gainReduction[i];
        for (std::size_t j = i + 1; j < std::min(i + group, m.gainReduction.size()); ++j) {
            most.limiterDb = std::max(most.limiterDb, m.gainReduction[j].limiterDb);
            for (std::size_t b = 0; b < 3; ++b) most.bandsDb[b] = std::max(most.bandsDb[b], m.gainReduction[j].bandsDb[b]);
        }
        std::size_t k = 0;
        if (m.limiterRan) series[k++].points.emplace_back(most.seconds, -most.limiterDb);
        if (m.multibandRan)
            for (std::size_t b = 0; b < 3; ++b) series[k++].points.emplace_back(most.seconds, -most.bandsDb[b]);
    }
    std::size_t points = 0;
    for (const auto& s : series) points += s.points.size();
    const std::string body =
        frame(axes, timeTicks(end), levelTicks(-depth, 0.0, depth > 12 ? 3.0 : 1.0), "time (m:ss)", "gain reduction (dB)") +
        lines(axes, series);
    return chart("chart-gain-reduction", "Gain reduction over time", body, std::max<std::size_t>(points, m.gainReduction.size()),
                 series.empty() ? "Neither the limiter nor the multiband compressor had anything to do: the line is flat at 0 dB."
                                : "The most each took in every block of the render (about 0.1 s).");
}

// Spectra of the mix and the master, each relative to the master's loudest band.
std::string spectrumChart(const CheckResult& before, const CheckResult& after) {
    double top = -300;
    for (std::size_t b = 0; b < after.profile.bandHz.size(); ++b) top = std::max(top, after.profile.totalDb(b));
    const Axes axes{20.0, 20000.0, -60.0, 6.0, true};
    std::vector<Series> series;
    for (const auto& [r, name] : {std::pair{&before, "mix"}, std::pair{&after, "master"}}) {
        Series s{name, {}, name == std::string("master") ? 2.2 : 1.5};
        for (std::size_t b = 0; b < r->profile.bandHz.size(); ++b) s.points.emplace_back(r->profile.bandHz[b], r->profile.totalDb(b) - top);
        series.push_back(s);
    }
    std::vector<Tick> xTicks;
    for (double f : octaveBandsHz()) xTicks.push_back({f, hzLabel(f)});
    return chart(
        "chart-spectrum", "Spectrum before and after",
        frame(axes, xTicks, levelTicks(-60, 6, 6), "frequency (Hz, third-octave bands)", "level (dB; the master's loudest band = 0)") +
            lines(axes, series),
        series[0].points.size() + series[1].points.size(), "Loudness-gated third-octave powers of mid and side together.");
}

// The tone change: what the chain did per band (the master over the mix, loudness-matched)
// beside what the EQ applied on purpose.
std::string toneChart(const MasterResult& m, const CheckResult& before, const CheckResult& after) {
    const Axes axes{20.0, 20000.0, -9.0, 9.0, true};
    Series measured{"measured change (master over mix, loudness-matched)", {}, 2.0}, applied{"EQ applied", {}, 1.5};
    const double matched = after.analysis.integratedLufs.value_or(0.0) - before.analysis.integratedLufs.value_or(0.0);
    for (std::size_t b = 0; b < before.profile.bandHz.size() && b < after.profile.bandHz.size(); ++b)
        measured.points.emplace_back(before.profile.bandHz[b], after.profile.totalDb(b) - before.profile.totalDb(b) - matched);
    for (const auto& [hz, db] : m.appliedEqDb) applied.points.emplace_back(hz, db);
    std::vector<Tick> xTicks;
    for (double f : octaveBandsHz()) xTicks.push_back({f, hzLabel(f)});
    return chart(
        "chart-tone", "Tone: what changed, and the EQ that was applied",
        frame(axes, xTicks, levelTicks(-9, 9, 3), "frequency (Hz, third-octave bands)", "change (dB)") + lines(axes, {measured, applied}),
        measured.points.size() + applied.points.size(),
        "The measured change includes what the compressors, the saturation and the limiter did to the balance.");
}

// Stereo width per band (side over mid power), before and after.
std::string widthChart(const CheckResult& before, const CheckResult& after) {
    const Axes axes{20.0, 20000.0, -30.0, 6.0, true};
    std::vector<Series> series;
    for (const auto& [r, name] : {std::pair{&before, "mix"}, std::pair{&after, "master"}}) {
        Series s{name, {}, name == std::string("master") ? 2.2 : 1.5};
        for (std::size_t b = 0; b < r->profile.bandHz.size() && b < r->profile.widthRatio.size(); ++b) {
            const double ratio = r->profile.widthRatio[b];
            s.points.emplace_back(r->profile.bandHz[b], ratio > 1e-6 ? 10.0 * std::log10(ratio) : std::nan(""));
        }
        series.push_back(s);
    }
    std::vector<Tick> xTicks;
    for (double f : octaveBandsHz()) xTicks.push_back({f, hzLabel(f)});
    return chart(
        "chart-width", "Stereo width per band, before and after",
        frame(axes, xTicks, levelTicks(-30, 6, 6), "frequency (Hz, third-octave bands)", "side over mid (dB)") + lines(axes, series),
        series[0].points.size() + series[1].points.size(), "0 dB: as much side as mid (very wide); -inf: mono.");
}

// The verdict, then what changed and why, in plain words.
std::string masterVerdictAndSummary(const MasterResult& m, const TargetVerdict& v) {
    std::string html = verdictSection(v, false) + "<section id=\"what-changed\"><h2>What was done, and why</h2><ul>";
    const double in = m.input.integratedLufs.value_or(0.0), out = m.output.integratedLufs.value_or(0.0);
    html += "<li>Loudness from " + number(in) + " to " + number(out) + " LUFS (" + signedNumber(out - in) + " LU) for a target of " +
            number(m.targetLufs) + " LUFS: a gain of " + signedNumber(m.gainDb) + " dB into the chain, found in " +
            std::to_string(m.passes) + " pass" + (m.passes == 1 ? "" : "es") + ".</li>";
    for (const auto& stage : m.stages)
        html += "<li" + std::string(stage.active ? "" : " class=\"idle\"") + "><b>" + escaped(stage.name) +
                "</b>: " + escaped(stage.detail) + "</li>";
    for (const auto& warning : m.warnings) html += "<li class=\"warning\">" + escaped(warning) + "</li>";
    return html + "</ul></section>\n";
}

// The two files' facts and figures, side by side, with units.
std::string masterFiguresTable(const MasterResult& m, const CheckResult& before, const CheckResult& after, const std::string& generated) {
    std::string html = "<section id=\"facts\"><table id=\"figures\" class=\"facts\"><tr><th></th><th>mix</th><th>master</th></tr>";
    const auto fact = [&](const std::string& name, const std::string& a, const std::string& b) {
        html += "<tr><th>" + escaped(name) + "</th><td>" + escaped(a) + "</td><td>" + escaped(b) + "</td></tr>";
    };
    const auto slash = [](const std::string& path) { return path.substr(path.find_last_of('/') + 1); };
    fact("file", slash(before.analysis.path), slash(after.analysis.path));
    fact("format", before.analysis.formatName, after.analysis.formatName);
    fact("sample rate", number(before.analysis.sampleRate, 0) + " Hz", number(after.analysis.sampleRate, 0) + " Hz");
    fact("length", clock(before.analysis.durationSeconds), clock(after.analysis.durationSeconds));
    const auto figure = [&](const char* key, const std::string& name, const std::optional<double>& a, const std::optional<double>& b,
                            int decimals, const std::string& unit) {
        const auto shown = [&](const std::optional<double>& v) { return v ? number(*v, decimals) + " " + unit : std::string("none"); };
        html += "<tr data-key=\"" + std::string(key) + "\" data-mix=\"" + (a ? number(*a, decimals) : "") + "\" data-master=\"" +
                (b ? number(*b, decimals) : "") + "\"><th>" + escaped(name) + "</th><td>" + shown(a) + "</td><td>" + shown(b) +
                "</td></tr>";
    };
    const AnalysisResult &x = m.input, &y = m.output;
    const auto minus = [](const std::optional<double>& a, const std::optional<double>& b) {
        return a && b ? std::optional<double>(*a - *b) : std::nullopt;
    };
    figure("integrated_lufs", "integrated loudness", x.integratedLufs, y.integratedLufs, 1, "LUFS");
    figure("true_peak_dbtp", "true peak", x.truePeakDbtp, y.truePeakDbtp, 2, "dBTP");
    figure("loudness_range_lu", "loudness range (LRA)", x.loudnessRangeLu, y.loudnessRangeLu, 1, "LU");
    figure("max_short_term_lufs", "loudest 3 s (max short-term)", x.maxShortTermLufs, y.maxShortTermLufs, 1, "LUFS");
    figure("plr_db", "PLR (true peak - integrated)", minus(x.truePeakDbtp, x.integratedLufs), minus(y.truePeakDbtp, y.integratedLufs), 1,
           "dB");
    figure("psr_db", "PSR (true peak - loudest 3 s)", minus(x.truePeakDbtp, x.maxShortTermLufs), minus(y.truePeakDbtp, y.maxShortTermLufs),
           1, "dB");
    figure("correlation", "L/R correlation", x.correlation, y.correlation, 2, "");
    return html + "<tr><th>measured by</th><td colspan=\"2\">Bounce " + BOUNCE_VERSION + ", " + escaped(generated) +
           "</td></tr></table></section>\n";
}

// Every stage with its settings and what it did; the platforms' playback gains.
std::string masterStagesAndPlatforms(const MasterResult& m) {
    std::string html =
        "<section id=\"stages-section\"><h2>The chain</h2><div class=\"wide\"><table id=\"stages\"><tr><th>stage</th>"
        "<th>ran</th><th>settings</th><th>what it did</th></tr>";
    const auto listed = [](const std::map<std::string, double>& values) {
        std::string text;
        for (const auto& [key, value] : values) text += (text.empty() ? "" : ", ") + key + " " + number(value, 2);
        return text;
    };
    for (const auto& stage : m.stages)
        html += "<tr><td>" + escaped(stage.name) + "</td><td>" + (stage.active ? "yes" : "no") + "</td><td>" +
                escaped(listed(stage.settings)) + "</td><td>" + escaped(listed(stage.effect)) + "</td></tr>";
    html +=
        "</table></div></section>\n<section id=\"platforms-section\"><h2>Streaming platforms</h2><table id=\"platforms\"><tr>"
        "<th>platform</th><th>normalises to (LUFS)</th><th>playback gain (dB)</th></tr>";
    for (const auto& p : m.playback)
        html += "<tr><td>" + escaped(p.platform) + "</td><td>" + number(p.targetLufs) + "</td><td>" + signedNumber(p.playbackGainDb) +
                (p.limitedByPeak ? " (up only as far as its true-peak headroom allows)" : "") + "</td></tr>";
    return html + "</table></section>\n";
}

}  // namespace

std::string masterToHtml(const MasterResult& m, const CheckResult& before, const CheckResult& after, const TargetVerdict& verdict,
                         const MasterHtmlOptions& given) {
    MasterHtmlOptions options = given;
    if (options.generated.empty()) options.generated = nowUtc();
    std::string html = pageHead("bounce master", options.title);
    html += masterVerdictAndSummary(m, verdict);
    html += masterFiguresTable(m, before, after, options.generated);
    html += loudnessChart({{&before, "mix, short-term", false, 1.5},
                           {&after, "master, short-term", false, 2.2},
                           {&after, "master, momentary", true, 0.8}},
                          verdict, "Loudness over time, mix and master") +
            truePeakChart({{&before, "mix"}, {&after, "master"}}, m.ceilingDbtp) + gainReductionChart(m) + spectrumChart(before, after) +
            toneChart(m, before, after) + widthChart(before, after);
    html += masterStagesAndPlatforms(m);
    return html + "<script>" + kReportScript + "</script></body></html>\n";
}

TargetVerdict masterVerdict(const MasterResult& result, const MasterSettings& settings) {
    const LoudnessTarget* named = findLoudnessTarget(settings.target);
    LoudnessTarget target = named ? *named : loudnessTargets().front();
    if (settings.lufs || settings.ceilingDbtp) {
        // Overridden: the loudness and ceiling asked for, with Bounce's 1 LU.
        target.name = "the target asked for";
        target.integratedLufs = result.targetLufs;
        target.ceilingDbtp = result.ceilingDbtp;
        target.toleranceLu = 1.0;
        target.toleranceSource.clear();
    }
    return judgeAgainstTarget(result.output, target);
}

std::string masterReportPage(const MasterResult& result, const MasterSettings& settings, const std::string& inputPath,
                             const std::string& masterPath, const MasterHtmlOptions& options) {
    CheckSettings views;
    views.playbackSystems = false;
    views.codecs = false;
    const CheckResult before = checkFile(inputPath, views), after = checkFile(masterPath, views);
    return masterToHtml(result, before, after, masterVerdict(result, settings), options);
}

}  // namespace bounce
