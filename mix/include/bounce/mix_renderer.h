// Renders a Session to a stereo mix and, on request, stems.
//
// The session becomes a graph built once: tracks -> inserts -> fader -> bus -> ... ->
// master, with sends into effect returns. Latency is balanced when the graph is built (as
// tracktion_graph does in its compile pass): every node knows the latency of what reaches
// it, and every connection into a summing node is delayed by the difference, so parallel
// paths (a track to its bus and to a reverb return) arrive sample-aligned. The master's
// own latency is trimmed from the start of the output and flushed at its end.
//
// Audio streams in blocks from the files to the output; memory does not grow with the
// song's length. Same session, same bytes.
#pragma once

#include "bounce/progress.h"
#include "bounce/analysis.h"
#include "bounce/session.h"

#include <optional>
#include <string>
#include <vector>

namespace bounce {

struct MixRenderOptions {
    std::string outputPath;
    std::string stemsFolder;  // empty: no stems
    double startSeconds = 0.0;
    std::optional<double> endSeconds;  // default: the end of the song plus the session's tail
    std::string bits;                  // "16", "24", "32f"; empty: the session's [master] bits
    std::string format;                // outputFormatChoices(); empty: from outputPath's name
    int bitrateKbps = 0;               // MP3 and AAC outputs; 0: the format's default
    int vbrQuality = -1;               // MP3: LAME's VBR scale 0..9; -1: constant bit rate
    ProgressCallback onProgress;       // the fraction rendered
    // The longest mix rendered: a track placed (or a header claiming a length) beyond it is
    // an error, not an endless render. 24 hours unless asked for more.
    double maxSeconds = 24.0 * 3600.0;
};

struct MixResult {
    AnalysisResult analysis;         // of the mix as written
    std::vector<std::string> stems;  // paths written
    std::vector<std::string> notes;  // things the user should know (e.g. stems taken before a nonlinear master)
    int latencyFrames = 0;           // compensated through the graph to the master
};

// Throws ConfigError for option mistakes, Error for audio failures. Writes every output to
// a temporary name and renames it at the end, so a failure leaves nothing half-written.
MixResult renderMix(const Session& session, const MixRenderOptions& options);

// Every file a mix reads (the session file, its tracks, the files its inserts name): what
// none of its outputs may replace.
std::vector<std::string> sessionInputs(const Session& session);

}  // namespace bounce
