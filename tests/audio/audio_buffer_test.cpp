#include "bounce/audio_buffer.h"

#include <gtest/gtest.h>

namespace bounce {
namespace {

TEST(AudioBuffer, ViewsAndSubViewsAddressTheSameSamples) {
    AudioBuffer buffer(2, 100);
    for (std::size_t i = 0; i < 100; ++i) {
        buffer.channel(0)[i] = static_cast<float>(i);
        buffer.channel(1)[i] = -static_cast<float>(i);
    }
    const AudioView view = buffer.view();
    const AudioView sub = view.subView(10, 20).subView(5, 10);
    EXPECT_EQ(sub.frames(), 10u);
    EXPECT_EQ(sub.channel(0)[0], 15.0f);
    EXPECT_EQ(sub.channel(1)[9], -24.0f);
    const ConstAudioView readOnly = sub;
    EXPECT_EQ(readOnly.channel(0)[1], 16.0f);
}

TEST(AudioBuffer, CopiesOwnTheirSamples) {
    AudioBuffer a(1, 4);
    a.channel(0)[0] = 1.0f;
    AudioBuffer b = a;
    b.channel(0)[0] = 2.0f;
    EXPECT_EQ(a.channel(0)[0], 1.0f);
    EXPECT_EQ(b.view().channel(0)[0], 2.0f);
}

}  // namespace
}  // namespace bounce
