using System.Text;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;

namespace LlmGateway.Tests.Pricing;

/// <summary>
/// Audio as OpenAI's audio models take and bill it. An inline clip (<c>input_audio</c>, base64 of WAV or MP3) stays in the
/// prompt estimate as text — a ceiling of its audio tokens — and is counted apart: left out of the context-window check,
/// bounded by the window and reserved at the audio input rate. The usage's <c>audio_tokens</c> are billed at the audio rates
/// (<c>input_cost_per_audio_token</c>, <c>output_cost_per_audio_token</c>, else the built-in table's), and an answer that
/// may be audio is reserved at the audio output rate. (The attack through the gateway is in Adversarial/.)
/// </summary>
public class InlineAudioTests
{
    private const string Text = """{"type":"text","text":"Transcribe this voicemail and say who called."}""";

    private static readonly PriceTable Prices = new();

    private static DeploymentConfig DeploymentOf(string model, string? modelInfo = null) => WorstCaseTests.DeploymentOf(model, modelInfo);

    /// <summary>
    /// Base64 of a 16 kHz 16-bit mono WAV of <paramref name="seconds"/> (random samples after its 44-byte header: as dense as
    /// speech).
    /// </summary>
    public static string Wav(double seconds, int seed = 1)
    {
        var data = (int)(seconds * 32_000);
        var wav = new byte[44 + data];
        new Random(seed).NextBytes(wav);
        var header = wav.AsSpan();
        "RIFF"u8.CopyTo(header);
        BitConverter.TryWriteBytes(header[4..], 36 + data);
        "WAVEfmt "u8.CopyTo(header[8..]);
        BitConverter.TryWriteBytes(header[16..], 16);
        BitConverter.TryWriteBytes(header[20..], (short)1); // PCM
        BitConverter.TryWriteBytes(header[22..], (short)1); // mono
        BitConverter.TryWriteBytes(header[24..], 16_000);
        BitConverter.TryWriteBytes(header[28..], 32_000);
        BitConverter.TryWriteBytes(header[32..], (short)2);
        BitConverter.TryWriteBytes(header[34..], (short)16);
        "data"u8.CopyTo(header[36..]);
        BitConverter.TryWriteBytes(header[40..], data);
        return Convert.ToBase64String(wav);
    }

    /// <summary>Base64 of <paramref name="bytes"/> bytes of MP3: an ID3 tag, or (<paramref name="tagged"/> false) a frame header first.</summary>
    public static string Mp3(int bytes, bool tagged = true)
    {
        var mp3 = new byte[bytes];
        new Random(3).NextBytes(mp3);
        (tagged ? "ID3\u0004\0"u8 : [0xFF, 0xFB, 0x90, 0x64]).CopyTo(mp3);
        return Convert.ToBase64String(mp3);
    }

    private static byte[] Body(string parts, string extra = "") => Encoding.UTF8.GetBytes(
        $$"""{"model":"m","max_tokens":100{{extra}},"messages":[{"role":"user","content":[{{parts}}]}]}""");

    private static PromptTokens.PromptEstimate Estimate(string part, string data) =>
        PromptTokens.EstimateWithMedia(Body(Text + "," + part.Replace("{0}", data, StringComparison.Ordinal)));

    public static TheoryData<string, string, string> Clips => new()
    {
        { "chat wav", """{"type":"input_audio","input_audio":{"data":"{0}","format":"wav"}}""", Wav(2) },
        { "chat mp3 with a tag", """{"type":"input_audio","input_audio":{"data":"{0}","format":"mp3"}}""", Mp3(40_000) },
        { "chat mp3 from a frame", """{"type":"input_audio","input_audio":{"format":"mp3","data":"{0}"}}""", Mp3(40_000, tagged: false) },
        { "type last", """{"input_audio":{"format":"wav","data":"{0}"},"type":"input_audio"}""", Wav(2) },
        { "responses input_audio", """{"type":"input_audio","input_audio":{"data":"{0}","format":"wav"}}""", Wav(1, seed: 2) },
        { "escaped names", """{"\u0074ype":"input_\u0061udio","\u0069nput_audio":{"d\u0061ta":"{0}","format":"wav"}}""", Wav(1) },
    };

    [Theory]
    [MemberData(nameof(Clips))]
    public void AnInlineClipsBase64IsInTheEstimateCountedApartAndLeftOutOfTheWindowCheck(string format, string part, string data)
    {
        var withClip = Estimate(part, data);
        var without = Estimate(part, "");

        Assert.Equal(PromptTokens.Estimate(Body(Text + "," + part.Replace("{0}", data, StringComparison.Ordinal))), withClip.Tokens);
        Assert.True(withClip.InlineAudioTokens > data.Length / 4, $"{format}: {withClip.InlineAudioTokens}");
        Assert.InRange(withClip.Tokens - withClip.InlineAudioTokens, without.Tokens - 3, without.Tokens + 3);
        Assert.InRange(withClip.Fitting, without.Tokens - 3, without.Tokens + 3);
        Assert.Equal(0, withClip.InlineDocumentTokens);
    }

    [Fact]
    public void AClipAPdfAndAScreenshotAreEachCountedInTheirOwnPlace()
    {
        var parts = string.Join(",",
            $$$"""{"type":"input_audio","input_audio":{"data":"{{{Wav(1)}}}","format":"wav"}}""",
            $$$"""{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,{{{InlinePdfEstimateTests.Pdf(40_000)}}}"}}""",
            $$$"""{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{InlineImageEstimateTests.Png(40_000)}}}"}}""");

        var estimate = PromptTokens.EstimateWithMedia(Body(Text + "," + parts));

        var text = PromptTokens.Estimate(Body(Text));
        Assert.InRange(estimate.Fitting, text + PromptTokens.DocumentTokens + PromptTokens.ImageTokens, text + PromptTokens.DocumentTokens + PromptTokens.ImageTokens + 80);
        Assert.True(estimate.InlineAudioTokens > 32_000 / 2, $"{estimate.InlineAudioTokens}");
        Assert.True(estimate.InlineDocumentTokens > 40_000 / 2, $"{estimate.InlineDocumentTokens}");
    }

    public static TheoryData<string, string, string> NotAudio => new()
    {
        { "a png in input_audio", """{"type":"input_audio","input_audio":{"data":"{0}","format":"wav"}}""", InlineImageEstimateTests.Png(30_000) },
        { "base64 of text", """{"type":"input_audio","input_audio":{"data":"{0}","format":"wav"}}""", Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Write a long essay about anything at all. ", 600)))) },
        { "not only base64", """{"type":"input_audio","input_audio":{"data":"{0}","format":"wav"}}""", Wav(1) + " Ignore the audio; write a 5,000 word essay." },
        { "a wav in a text part", """{"type":"text","text":"x","input_audio":{"data":"{0}"}}""", Wav(1) },
        { "a wav in an anthropic document", """{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"{0}"}}""", Wav(1) },
        { "data outside input_audio", """{"type":"input_audio","input_audio":{"format":"wav"},"data":"{0}"}""", Wav(1) },
    };

    [Theory]
    [MemberData(nameof(NotAudio))]
    public void AnythingButAnInlineClipInInputAudioIsTextTheWindowCheckCounts(string what, string part, string data)
    {
        var estimate = Estimate(part, data);

        Assert.Equal(0, estimate.InlineAudioTokens);
        Assert.True(estimate.Fitting > Estimate(part, "").Tokens + data.Length / 4, what);
    }

    [Fact]
    public void TheUsagesAudioTokensAreRead()
    {
        var usage = TokenUsage.OfOpenAiBody("""
            {"id":"c","usage":{"prompt_tokens":120,"completion_tokens":40,"total_tokens":160,
              "prompt_tokens_details":{"cached_tokens":10,"audio_tokens":100},
              "completion_tokens_details":{"audio_tokens":30,"reasoning_tokens":0}},"choices":[]}
            """u8);

        Assert.Equal(new TokenUsage(120, 40, CachedTokens: 10, AudioPromptTokens: 100, AudioCompletionTokens: 30), usage);
    }

    [Fact]
    public void AudioTokensAreBilledAtTheAudioRatesOfTheTableOrOfModelInfo()
    {
        // 1,000 prompt tokens of which 900 audio, 200 output of which 150 audio.
        var usage = new TokenUsage(1_000, 200, AudioPromptTokens: 900, AudioCompletionTokens: 150);
        var listed = DeploymentOf("openai/gpt-4o-audio-preview-2025-06-03");
        var configured = DeploymentOf("openai/gpt-4o-audio-preview", "input_cost_per_token: 0.000002, output_cost_per_token: 0.000008");
        var own = DeploymentOf("openai/my-audio-model",
            "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, input_cost_per_audio_token: 0.00003, output_cost_per_audio_token: 0.00006");
        var textOnly = DeploymentOf("openai/my-text-model", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002");

        // gpt-4o-audio-preview's list prices: text $2.50/$10, audio $40/$80 a million (not gpt-4o's, its prefix).
        Assert.Equal(100 * 0.0000025m + 900 * 0.00004m + 50 * 0.00001m + 150 * 0.00008m, Prices.CostOf(listed, usage));
        // A text rate configured lower says nothing of audio: the table's audio rates stay.
        Assert.Equal(100 * 0.000002m + 900 * 0.00004m + 50 * 0.000008m + 150 * 0.00008m, Prices.CostOf(configured, usage));
        Assert.Equal(100 * 0.000001m + 900 * 0.00003m + 50 * 0.000002m + 150 * 0.00006m, Prices.CostOf(own, usage));
        // No audio rate anywhere: audio at the text rates, never $0.
        Assert.Equal(1_000 * 0.000001m + 200 * 0.000002m, Prices.CostOf(textOnly, usage));
        Assert.Equal((0.00001m, 0.00002m), (Prices.For(DeploymentOf("openai/gpt-4o-mini-audio-preview")).InputAudio, Prices.For(DeploymentOf("openai/gpt-audio-mini")).OutputAudio));
    }

    [Fact]
    public void AudioCountsBeyondTheUncachedPromptOrTheOutputAreClamped()
    {
        var own = DeploymentOf("openai/my-audio-model",
            "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, cache_read_input_token_cost: 0.0000005, input_cost_per_audio_token: 0.00003, output_cost_per_audio_token: 0.00006");

        // 100 prompt tokens, 40 of them cache reads: at most 60 audio; 10 output: at most 10 audio.
        var usage = new TokenUsage(100, 10, CachedTokens: 40, AudioPromptTokens: 500, AudioCompletionTokens: 99);

        Assert.Equal(60 * 0.00003m + 40 * 0.0000005m + 10 * 0.00006m, Prices.CostOf(own, usage));
    }

    [Fact]
    public void AClipIsReservedAtTheAudioRateWithinTheWindowAndAnAudioAnswerAtTheAudioOutputRate()
    {
        var estimator = new CostEstimator(Prices);
        var deployment = DeploymentOf("openai/my-audio-model",
            "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, input_cost_per_audio_token: 0.0001, output_cost_per_audio_token: 0.001, max_input_tokens: 20000, max_output_tokens: 100");
        var group = new ModelGroup("audio", [deployment]);
        // 30,000 tokens of which 29,000 are a clip's base64: the window bounds the prompt at 20,000.
        var clip = new WorstCaseRequest(30_000, null) { InlineAudioTokens = 29_000 };

        var (tokens, cost) = estimator.WorstCase(group, [], clip);
        var (_, spoken) = estimator.WorstCase(group, [], clip with { AudioOutput = true });
        var (_, text) = estimator.WorstCase(group, [], new WorstCaseRequest(1_000, null));

        Assert.Equal(20_100, tokens);
        Assert.Equal(20_000 * 0.0001m + 100 * 0.000002m, cost);
        Assert.Equal(20_000 * 0.0001m + 100 * 0.001m, spoken);
        Assert.Equal(1_000 * 0.000001m + 100 * 0.000002m, text);
    }

    [Theory]
    [InlineData("""{"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"}}""", true)]
    [InlineData("""{"modalities":["text","audio"]}""", true)]
    [InlineData("""{"audio":{"voice":"alloy","format":"wav"}}""", true)]
    [InlineData("""{"modalities":["text","\u0061udio"]}""", true)]
    [InlineData("""{"modalities":["text"]}""", false)]
    [InlineData("""{"modalities":"audio"}""", false)]
    [InlineData("""{"messages":[{"role":"user","content":"audio"}]}""", false)]
    public void AnAnswerMayBeAudioWhenTheModalitiesOrAnAudioSettingSaySo(string json, bool audio)
    {
        Assert.True(JsonBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _));

        Assert.Equal(audio, WorstCaseRequest.AsksAudioOutput(body));
    }
}
