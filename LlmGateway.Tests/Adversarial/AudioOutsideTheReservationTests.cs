#pragma warning disable OPENAI001 // the SDK marks its audio parts and modalities as evaluation-only
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Pricing;
using OpenAI;
using OpenAI.Chat;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: talk to an audio model. OpenAI bills audio 8–66× text (gpt-4o-audio-preview: $40 a million audio prompt tokens
/// against $2.50 of text, $80 against $10 of output), and the gateway billed every token at the text rates — gpt-4o's,
/// which the id's prefix found — so a budget paid for a sixteenth of what was spent. Meanwhile an honest client was refused:
/// a clip's base64 counted as text (10 s of WAV ≈ 300,000 tokens) failed the context-window check of a 128,000-token model.
/// Now the clip is left out of the window check, its audio tokens are billed at the audio rates, and it is reserved at the
/// audio input rate within the window; an answer that may be audio is reserved at the audio output rate.
/// </summary>
public sealed class AudioOutsideTheReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    private static readonly string TenSeconds = InlineAudioTests.Wav(10);

    [Fact]
    public async Task TheOpenAiSdksClipPassesTheWindowCheckAndIsChargedAtTheAudioRates()
    {
        // No prices configured: gpt-4o-audio-preview's list prices from the table.
        var host = await StartApiAsync(Config(Model("voice", "openai/gpt-4o-audio-preview", Primary, "max_input_tokens: 128000", "max_output_tokens: 1000")));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "voice", max_budget = 10 });
        var heard = FakeResponse.Ok with { PromptTokens = 120, AudioPromptTokens = 100, CompletionTokens = 40, AudioCompletionTokens = 30 };
        Primary.Enqueue(heard, heard);

        var chat = new ChatClient("voice", new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(host.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = TimeSpan.FromSeconds(30),
        });
        var sdk = await chat.CompleteChatAsync(
            [new UserChatMessage(ChatMessageContentPart.CreateTextPart("Who called?"),
                ChatMessageContentPart.CreateInputAudioPart(BinaryData.FromBytes(Convert.FromBase64String(TenSeconds)), ChatInputAudioFormat.Wav))],
            new ChatCompletionOptions
            {
                ResponseModalities = ChatResponseModalities.Text | ChatResponseModalities.Audio,
                AudioOptions = new ChatAudioOptions(ChatOutputAudioVoice.Alloy, ChatOutputAudioFormat.Wav),
            }, Timeout);
        using var streamed = await PostAsync(host, key, "/v1/chat/completions", $$$"""
            {"model":"voice","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":[
              {"type":"text","text":"Who called?"},{"type":"input_audio","input_audio":{"data":"{{{TenSeconds}}}","format":"wav"}}]}]}
            """);

        Assert.Equal(100, sdk.Value.Usage.InputTokenDetails.AudioTokenCount);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.All(Primary.Requests, request =>
            Assert.Equal(TenSeconds, request.Json?["messages"]?[0]?["content"]?[1]?["input_audio"]?["data"]?.GetValue<string>()));
        // 20 text and 100 audio prompt tokens, 10 text and 30 audio output tokens at $2.50, $40, $10 and $80 a million.
        const decimal Cost = 20 * 0.0000025m + 100 * 0.00004m + 10 * 0.00001m + 30 * 0.00008m;
        Assert.Equal([Cost, Cost], await SpendsAsync(host, key, 2));
    }

    [Fact]
    public async Task AClipIsReservedAtTheAudioRateWithinTheWindow()
    {
        // A second of WAV reads as more text tokens than the window's 20,000: bounded by it, 20,000 at $0.0001 = $2.00 reserved.
        var host = await StartApiAsync(Config(Model("voice", "openai/my-audio-model", Primary,
            "input_cost_per_token: 0.000001", "output_cost_per_token: 0.000001", "input_cost_per_audio_token: 0.0001",
            "max_input_tokens: 20000", "max_output_tokens: 100")));
        var (_, poor) = await TeamAndKeyAsync(host, new { team_alias = "voice-poor", max_budget = 1 });
        var (_, funded) = await TeamAndKeyAsync(host, new { team_alias = "voice-funded", max_budget = 3 });
        var body = $$$"""
            {"model":"voice","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"{{{InlineAudioTests.Wav(1)}}}","format":"wav"}}]}]}
            """;

        using var refused = await PostAsync(host, poor, "/v1/chat/completions", body);
        var afterRefusal = Primary.RequestCount;
        using var answered = await PostAsync(host, funded, "/v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("budget", await refused.Content.ReadAsStringAsync(Timeout), StringComparison.Ordinal);
        Assert.Equal(0, afterRefusal);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task AnAnswerThatMayBeAudioIsReservedAtTheAudioOutputRate()
    {
        // 100 output tokens: $0.0001 as text, $1.00 as audio; the budget is $0.50.
        var host = await StartApiAsync(Config(Model("chat", "openai/my-audio-model", Primary,
            "input_cost_per_token: 0.000001", "output_cost_per_token: 0.000001", "output_cost_per_audio_token: 0.01", "max_output_tokens: 100")));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "voice-out", max_budget = 0.5 });

        using var modalities = await ChatAsync(host, key, """
            "modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"}
            """);
        using var setting = await ChatAsync(host, key, """
            "audio":{"voice":"alloy","format":"wav"}
            """);
        var afterRefusals = Primary.RequestCount;
        using var text = await ChatAsync(host, key, """
            "modalities":["text"]
            """);

        Assert.Equal((HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests), (modalities.StatusCode, setting.StatusCode));
        Assert.Equal(0, afterRefusals);
        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
    }

    /// <summary>The spend of each of the key's ledger rows, once <paramref name="count"/> are written; bounded.</summary>
    private async Task<decimal[]> SpendsAsync(GatewayApiHost host, string key, int count) =>
        [.. (await LedgerRowsAsync(host, key, count)).Select(r => r.GetProperty("spend").GetDecimal())];
}
