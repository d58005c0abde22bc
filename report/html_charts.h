// The SVG chart pieces of Bounce's HTML reports (private to the report layer): a plot area
// of 800 x 270 units, its grid, ticks and titled axes, lines (a NaN breaks one), legends,
// and the number formats the reports print (never "-0.0"; 63, 1k, 16k; m:ss).
#pragma once

#include "bounce/check.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace bounce::html {

constexpr double kWidth = 800, kHeight = 270, kLeft = 64, kRight = 16, kTop = 26, kBottom = 44;

// Okabe & Ito, "Color Universal Design" (2008): eight colours distinguishable with
// protanopia, deuteranopia and tritanopia; each series also gets its own dash pattern.
extern const char* const kPalette[8];
extern const char* const kDashes[8];
// The reports' one style sheet (screen, phone, print), and their one script: a zoom button
// on every chart over time (x4, panned by scrolling its frame).
extern const char* const kReportStyle;
extern const char* const kReportScript;

std::string escaped(const std::string& text);
std::string number(double v, int decimals = 1);
std::string signedNumber(double v, int decimals = 1);
std::string hzLabel(double hz);
std::string clock(double seconds);

// A plot area: maps data to SVG coordinates.
struct Axes {
    double xMin, xMax, yMin, yMax;
    bool logX = false;
    double x(double v) const {
        const double t = logX ? std::log(v / xMin) / std::log(xMax / xMin) : (v - xMin) / (xMax - xMin);
        return kLeft + std::clamp(t, 0.0, 1.0) * (kWidth - kLeft - kRight);
    }
    double y(double v) const {
        const double t = (v - yMin) / (yMax - yMin);
        return kTop + (1.0 - std::clamp(t, 0.0, 1.0)) * (kHeight - kTop - kBottom);
    }
};

struct Tick {
    double at;
    std::string label;
};

// Points of one line; a NaN y breaks it (silence, no reading).
struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points;
    double width = 1.5;
};

std::string text(double x, double y, const std::string& cls, const std::string& anchor, const std::string& content,
                 const std::string& extra = "");
// The grid, tick labels and both axes' titles (with their units).
std::string frame(const Axes& a, const std::vector<Tick>& xTicks, const std::vector<Tick>& yTicks, const std::string& xTitle,
                  const std::string& yTitle);
std::string legend(const std::vector<std::string>& names, std::size_t firstStyle = 0);
// The series in the palette's colours and dashes from `firstStyle`, with their legend.
std::string lines(const Axes& a, const std::vector<Series>& series, std::size_t firstStyle = 0);
// A <section class="chart"> with its title, the SVG and a note under it.
std::string chart(const std::string& id, const std::string& title, const std::string& body, std::size_t dataPoints,
                  const std::string& note = "");
// An image as a data: URI (an uncompressed 24-bit BMP, which every browser draws: no
// encoder library for a few thousand pixels), from rows top to bottom of RGB triplets.
std::string bmpDataUri(int width, int height, const std::vector<unsigned char>& rgbTopDown);
// Cividis (Nunez, Anderton & Renslow 2018): a colour map made for readers with colour-vision
// deficiencies, dark blue (0) to yellow (1); writes three bytes.
void cividis(double t, unsigned char* rgb);
// Time ticks every 5 s .. 10 min, about eight across, labelled m:ss.
std::vector<Tick> timeTicks(double end);
std::vector<Tick> levelTicks(double from, double to, double step);

// The date and time a report is made, as printed ("2026-11-28 04:12 UTC").
std::string nowUtc();
// A report page's head and its h1 ("bounce check: NAME"); the body follows.
std::string pageHead(const std::string& command, const std::string& title);
// The verdict against a target, as both reports open with it; `note` adds the target's
// description and where its tolerance comes from.
std::string verdictSection(const TargetVerdict& v, bool note);

// One line of a loudness chart: a file's momentary or short-term loudness.
struct LoudnessLine {
    const CheckResult* file;
    std::string name;
    bool momentary = false;
    double width = 1.5;
};
// Loudness over time on an axis zoomed to where the lines live (from 6 LU under the quieter
// of their 10th-percentile short-term loudness and the target, to 3 LU over the loudest
// moment), silence a gap, with the target and its tolerance band.
std::string loudnessChart(const std::vector<LoudnessLine>& lines, const TargetVerdict& target, const std::string& title);

// The true peak over time of one or more files (each of their 800 waveform columns'
// highest reconstructed peak) against a ceiling.
std::string truePeakChart(const std::vector<std::pair<const CheckResult*, std::string>>& files, double ceilingDbtp);

}  // namespace bounce::html
