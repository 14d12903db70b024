using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// Claude Code itself (<see cref="ClaudeCodeCli"/>) through the gateway with a virtual key, on an Anthropic deployment and
/// on an OpenAI-format one: a plain answer, a turn where the model runs the Bash tool and reads its result, and a turn where it
/// reads a scanned PDF (1.5 MB; the Anthropic deployment has a 200,000-token context window). Every
/// upstream call is one ledger row priced as computed by hand; the developer's device id is the row's end user.
/// Under a gateway alias Claude Code's first request has a <c>system</c> entry in <c>messages</c>: it only goes on when the
/// gateway answers that with Anthropic's own 400 text (or accepts it); any other error ends the run with is_error true.
/// </summary>
public sealed class ClaudeCodeTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IDisposable
{
    private const int PromptTokens = 1000;
    private const int CompletionTokens = 50;
    private const decimal CostPerCall = PromptTokens * InputPrice + CompletionTokens * OutputPrice;

    private readonly CancellationTokenSource timeout = NewTimeout();

    private FakeProviderServer Fake => fixture.Fake;
    private CancellationToken Timeout => timeout.Token;

    [Theory]
    [InlineData(AnthropicGroup)]
    [InlineData(OpenAiGroup)]
    [InlineData(AzureGroup)]
    [InlineData(OllamaGroup)]
    public async Task ClaudeCodeAnswersAPromptThroughTheGatewayAndEveryUpstreamCallIsOneLedgerRowPricedByHandForItsDevice(string group)
    {
        Fake.Reset();
        Fake.Default = Answer("Hello through the gateway");
        var key = await fixture.NewKeyAsync(Timeout);

        var result = await ClaudeCodeCli.RunAsync(fixture.Api.BaseAddress, key, group, "Say hello", Timeout);

        Assert.False(result.IsError, result.ToString());
        Assert.Equal("Hello through the gateway", result.Text);
        var rows = await AssertOneLedgerRowPerUpstreamCallAsync(key);
        // Signed out, Claude Code's metadata.user_id has an empty account_uuid: the developer is its device id, never the session.
        var endUser = Assert.Single(rows.Select(r => r.GetProperty("end_user").GetString()).Distinct());
        Assert.Matches("^[0-9a-f]{64}$", endUser);
        if (group != AnthropicGroup)
            Assert.All(UpstreamCalls(), c => Assert.Equal(endUser, (string?)c.Json!["user"]));
    }

    [Theory]
    [InlineData(AnthropicGroup)]
    [InlineData(OpenAiGroup)]
    [InlineData(AzureGroup)]
    [InlineData(OllamaGroup)]
    public async Task ClaudeCodeRunsTheBashToolTheModelAsksForAndSendsBackItsResultWithoutAnError(string group)
    {
        Fake.Reset();
        Fake.Enqueue(Answer("") with { ToolCalls = [("toolu_cc_echo", "Bash", """{"command":"echo hi","description":"Print hi"}""")] });
        Fake.Default = Answer("The command printed hi.");
        var key = await fixture.NewKeyAsync(Timeout);
        var leasedBefore = fixture.LeasedAdmissions;

        var result = await ClaudeCodeCli.RunAsync(fixture.Api.BaseAddress, key, group, "Run echo hi", Timeout);

        Assert.False(result.IsError, result.ToString());
        Assert.Equal("The command printed hi.", result.Text);
        var calls = UpstreamCalls();
        Assert.Equal(2, calls.Count);
        var (content, isError) = group == AnthropicGroup ? AnthropicToolResult(calls[1]) : OpenAiToolResult(calls[1]);
        Assert.Equal("hi", content.Trim());
        Assert.False(isError);
        await AssertOneLedgerRowPerUpstreamCallAsync(key);
        // The second turn (the first plus the tool's result) is admitted on the lease the first one's admission took.
        Assert.Equal(1, fixture.LeasedAdmissions - leasedBefore);
    }

    [Theory]
    [InlineData(AnthropicGroup)]
    [InlineData(OpenAiGroup)]
    public async Task ClaudeCodeReadsAScannedPdfTheModelAsksForAndTheGatewayRoutesItWithinTheContextWindow(string group)
    {
        // 1.5 MB of scanned pages: ~1.4 M tokens if its base64 were read as text, over the Anthropic deployment's 200,000-token window.
        var work = Directory.CreateTempSubdirectory("llmgw-claude-work-");
        var pdf = Path.Combine(work.FullName, "scan.pdf");
        var scan = ScannedPdf(pages: 3, bytesPerPage: 500_000);
        await File.WriteAllBytesAsync(pdf, scan, Timeout);
        Fake.Reset();
        Fake.Enqueue(Answer("") with { ToolCalls = [("toolu_cc_pdf", "Read", JsonSerializer.Serialize(new { file_path = pdf }))] });
        Fake.Default = Answer("The scan is a three-page contract.");
        var key = await fixture.NewKeyAsync(Timeout);

        var result = await ClaudeCodeCli.RunAsync(fixture.Api.BaseAddress, key, group, "Read scan.pdf and say what it is", Timeout, work);

        Assert.False(result.IsError, result.ToString());
        Assert.Equal("The scan is a three-page contract.", result.Text);
        var calls = UpstreamCalls();
        Assert.Equal(2, calls.Count);
        // The PDF reached the provider whole: as Claude Code sent it (a base64 document in the tool_result), or translated
        // (a file part in the user message after the tool message, which holds text only).
        var messages = calls[1].Json!["messages"]!.AsArray();
        var data = group == AnthropicGroup
            ? (string?)messages.SelectMany(m => m!["content"] as JsonArray ?? []).Where(b => (string?)b!["type"] == "tool_result")
                .SelectMany(b => b!["content"] as JsonArray ?? []).Single(b => (string?)b!["type"] == "document")!["source"]!["data"]
            : ((string?)messages.SelectMany(m => m!["content"] as JsonArray ?? []).Single(p => (string?)p!["type"] == "file")!["file"]!["file_data"])?
                .Replace("data:application/pdf;base64,", "", StringComparison.Ordinal);
        Assert.Equal(Convert.ToBase64String(scan), data);
        await AssertOneLedgerRowPerUpstreamCallAsync(key);
    }

    public void Dispose() => timeout.Dispose();

    /// <summary>A well-formed PDF of <paramref name="pages"/> pages, each one image of random bytes (as dense as a scan).</summary>
    private static byte[] ScannedPdf(int pages, int bytesPerPage)
    {
        var objects = new List<byte[]>
        {
            "<< /Type /Catalog /Pages 2 0 R >>"u8.ToArray(),
            System.Text.Encoding.ASCII.GetBytes($"<< /Type /Pages /Count {pages} /Kids [{string.Join(" ", Enumerable.Range(0, pages).Select(p => $"{3 + p * 3} 0 R"))}] >>"),
        };
        var random = new Random(7);
        for (var page = 0; page < pages; page++)
        {
            var (pageId, contentId, imageId) = (3 + page * 3, 4 + page * 3, 5 + page * 3);
            objects.Add(System.Text.Encoding.ASCII.GetBytes(
                $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im{page} {imageId} 0 R >> >> /Contents {contentId} 0 R >>"));
            var draw = System.Text.Encoding.ASCII.GetBytes($"q 612 0 0 792 0 0 cm /Im{page} Do Q");
            objects.Add([.. System.Text.Encoding.ASCII.GetBytes($"<< /Length {draw.Length} >>\nstream\n"), .. draw, .. "\nendstream"u8]);
            var pixels = new byte[bytesPerPage];
            random.NextBytes(pixels);
            objects.Add([.. System.Text.Encoding.ASCII.GetBytes($"<< /Type /XObject /Subtype /Image /Width 1000 /Height {bytesPerPage / 1000} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {pixels.Length} >>\nstream\n"),
                .. pixels, .. "\nendstream"u8]);
        }

        using var pdf = new MemoryStream();
        pdf.Write("%PDF-1.7\n"u8);
        var offsets = new List<long>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(pdf.Position);
            pdf.Write(System.Text.Encoding.ASCII.GetBytes($"{i + 1} 0 obj\n"));
            pdf.Write(objects[i]);
            pdf.Write("\nendobj\n"u8);
        }

        var xref = pdf.Position;
        pdf.Write(System.Text.Encoding.ASCII.GetBytes($"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n"));
        foreach (var offset in offsets)
        {
            pdf.Write(System.Text.Encoding.ASCII.GetBytes($"{offset:D10} 00000 n \n"));
        }

        pdf.Write(System.Text.Encoding.ASCII.GetBytes($"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"));
        return pdf.ToArray();
    }

    private static FakeResponse Answer(string text) => new() { Text = text, PromptTokens = PromptTokens, CompletionTokens = CompletionTokens };

    private List<RecordedRequest> UpstreamCalls() =>
        [.. Fake.Requests.Where(r => r.Method == "POST" && r.Path is "/v1/messages" or "/v1/chat/completions" or AzureChatPath)];

    /// <summary>Rows with status success, one per upstream call (a request the gateway refused reached no upstream).</summary>
    private async Task<List<JsonElement>> AssertOneLedgerRowPerUpstreamCallAsync(string key)
    {
        var calls = UpstreamCalls().Count;
        Assert.True(calls > 0, "no request reached the upstream");
        var rows = (await fixture.SuccessRowsAsync(key, calls, Timeout)).ToList();
        Assert.Equal(calls, rows.Count);
        Assert.All(rows, r => Assert.Equal(CostPerCall, decimal.Round(r.GetProperty("spend").GetDecimal(), 8)));
        return rows;
    }

    /// <summary>Anthropic's <c>tool_result</c> block in the last user turn: its text and <c>is_error</c> (absent means false).</summary>
    private static (string Content, bool IsError) AnthropicToolResult(RecordedRequest call)
    {
        var block = call.Json!["messages"]!.AsArray().SelectMany(m => m!["content"] as JsonArray ?? [])
            .Single(b => (string?)b!["type"] == "tool_result")!;
        Assert.Equal("toolu_cc_echo", (string?)block["tool_use_id"]);
        var content = block["content"] is JsonArray parts
            ? string.Concat(parts.Select(p => (string?)p!["text"]))
            : (string?)block["content"] ?? "";
        return (content, block["is_error"]?.GetValue<bool>() ?? false);
    }

    /// <summary>OpenAI's <c>tool</c> message: its content, and whether the gateway marked the result as an error.</summary>
    private static (string Content, bool IsError) OpenAiToolResult(RecordedRequest call)
    {
        var message = call.Json!["messages"]!.AsArray().Single(m => (string?)m!["role"] == "tool")!;
        Assert.Equal("toolu_cc_echo", (string?)message["tool_call_id"]);
        var content = message["content"] is JsonArray parts
            ? string.Concat(parts.Select(p => (string?)p!["text"]))
            : (string?)message["content"] ?? "";
        return (content.StartsWith("Error: ", StringComparison.Ordinal) ? content["Error: ".Length..] : content,
            content.StartsWith("Error: ", StringComparison.Ordinal));
    }

    private static CancellationTokenSource NewTimeout()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(120));
        return source;
    }
}
