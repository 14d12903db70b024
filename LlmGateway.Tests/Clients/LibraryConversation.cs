using System.Text.Json;
using LlmGateway.Tests.Fakes;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// The conversation every client library test holds through the gateway, in five upstream calls: a tool call for
/// <c>get_weather</c> (Paris), the answer after the tool's result, a streamed answer, a structured one
/// (<c>{"city":"Paris","sunny":true}</c>), and an answer about an image the user sent (<see cref="Png"/>, in the script's
/// environment as <c>PNG</c>). The script prints <c>{text, calls, streamed, weather, seen}</c> as JSON.
/// </summary>
internal static class LibraryConversation
{
    public const string Answer = "Paris: sunny.";

    /// <summary>What the model says it sees.</summary>
    public const string Seen = "A red square.";

    /// <summary>A 2×2 red PNG, base64: it must reach the model whole, in whichever format the deployment takes.</summary>
    public const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";

    /// <summary>
    /// Every client API a library speaks (<c>responses</c>, <c>chat</c>, <c>messages</c>) on every kind of deployment, with
    /// where the fake receives it: passed through where the deployment speaks it, translated elsewhere.
    /// </summary>
    public static TheoryData<string, string, string> Routes
    {
        get
        {
            var routes = new TheoryData<string, string, string>();
            foreach (var api in new[] { "responses", "chat", "messages" })
            {
                routes.Add(api, AnthropicGroup, "/v1/messages");
                routes.Add(api, OpenAiResponsesGroup, api == "responses" ? "/v1/responses" : "/v1/chat/completions");
                routes.Add(api, OpenAiGroup, "/v1/chat/completions");
                routes.Add(api, AzureGroup, api == "responses" ? "/openai/v1/responses" : AzureChatPath);
                routes.Add(api, OllamaGroup, "/v1/chat/completions");
            }

            return routes;
        }
    }

    /// <summary>Each embedding model, with where the fake receives its calls.</summary>
    public static TheoryData<string, string> EmbeddingRoutes => new()
    {
        { OpenAiEmbeddingGroup, "/v1/embeddings" },
        { AzureEmbeddingGroup, AzureEmbeddingPath },
        { OllamaEmbeddingGroup, "/v1/embeddings" },
    };

    /// <summary>
    /// Runs <paramref name="script"/> (two texts embedded in one call, printing <c>{count, dimensions}</c>) on <paramref name="group"/>
    /// with a new key: two vectors of the fake's size, one upstream call at <paramref name="upstreamPath"/> with both texts,
    /// one priced ledger row.
    /// </summary>
    /// <param name="package">The npm package the script needs, and its version (installed by <c>./test.sh</c>).</param>
    public static async Task EmbedAsync(
        CodingAgentFixture fixture, (string Name, string Version) package, string script, string group, string upstreamPath, CancellationToken ct)
    {
        fixture.Fake.Reset();
        var key = await fixture.NewKeyAsync(ct);
        NodeScript.RequireInstalled(package.Name, package.Version);
        var output = await NodeScript.RunAsync(script, new Dictionary<string, string>
        {
            ["GATEWAY_URL"] = new Uri(fixture.Api.BaseAddress, "v1").ToString(), ["GATEWAY_KEY"] = key, ["MODEL"] = group,
        }, ct);

        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal((2, FakeOpenAiEmbeddings.DefaultDimensions), (result.GetProperty("count").GetInt32(), result.GetProperty("dimensions").GetInt32()));
        var call = Assert.Single(fixture.Fake.Requests, r => r.Path == upstreamPath);
        Assert.Contains("rainy day", call.Body);
        var row = Assert.Single(await fixture.SuccessRowsAsync(key, 1, ct));
        Assert.True(row.GetProperty("spend").GetDecimal() > 0, row.ToString());
    }

    /// <summary>Scripts the fake's five answers; the object comes as text, or (<paramref name="objectAsToolCall"/>) as a forced tool call of that name.</summary>
    public static void Script(FakeProviderServer fake, string? objectAsToolCall = null)
    {
        const string Weather = """{"city":"Paris","sunny":true}""";
        fake.Reset();
        fake.Enqueue(new FakeResponse { Text = "", ToolCalls = [("call_weather_1", "get_weather", """{"city":"Paris"}""")] },
            new FakeResponse { Text = Answer }, new FakeResponse { Text = Answer },
            objectAsToolCall is null ? new FakeResponse { Text = Weather } : new FakeResponse { Text = "", ToolCalls = [("call_weather_2", objectAsToolCall, Weather)] },
            new FakeResponse { Text = Seen });
    }

    /// <summary>The script's environment: the gateway's <c>/v1</c> and root, the key, the model group, the client API, the image.</summary>
    public static Dictionary<string, string> Environment(CodingAgentFixture fixture, string key, string group, string api) => new()
    {
        ["GATEWAY_URL"] = new Uri(fixture.Api.BaseAddress, "v1").ToString(), ["GATEWAY_ROOT"] = fixture.Api.BaseAddress.ToString().TrimEnd('/'),
        ["GATEWAY_KEY"] = key, ["MODEL"] = group, ["API"] = api, ["PNG"] = Png,
    };

    /// <summary>
    /// The script's answers, and at the fake's <paramref name="upstreamPath"/>: five calls, the tool's output sent back to
    /// the model, the object's schema sent in the deployment's format, the image whole; and a priced ledger row of the key
    /// per call.
    /// </summary>
    public static async Task AssertAsync(string output, CodingAgentFixture fixture, string key, string upstreamPath, CancellationToken ct)
    {
        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal(Answer, result.GetProperty("text").GetString());
        Assert.Equal(["Paris"], result.GetProperty("calls").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(Answer, result.GetProperty("streamed").GetString());
        var weather = result.GetProperty("weather");
        Assert.Equal(("Paris", true), (weather.GetProperty("city").GetString(), weather.GetProperty("sunny").GetBoolean()));
        Assert.Equal(Seen, result.GetProperty("seen").GetString());
        var upstream = fixture.Fake.Requests.Where(r => r.Path == upstreamPath).ToList();
        Assert.Equal(5, upstream.Count);
        Assert.Contains("It is sunny in Paris.", upstream[1].Body); // the tool's output went back to the model
        Assert.Contains("\"sunny\"", upstream[3].Body); // the object's schema reached the model, in its format
        Assert.Contains(Png, upstream[4].Body); // the image reached the model whole, in its format
        var rows = await fixture.SuccessRowsAsync(key, 5, ct);
        Assert.Equal(5, rows.Length);
        Assert.All(rows, row => Assert.True(row.GetProperty("spend").GetDecimal() > 0, row.ToString()));
    }
}
