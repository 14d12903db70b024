using System.Text.Json;
using LlmGateway.Tests.Fakes;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// The conversation every client library test holds through the gateway, in four upstream calls: a tool call for
/// <c>get_weather</c> (Paris), the answer after the tool's result, a streamed answer, and a structured one
/// (<c>{"city":"Paris","sunny":true}</c>). The script prints <c>{text, calls, streamed, weather}</c> as JSON.
/// </summary>
internal static class LibraryConversation
{
    public const string Answer = "Paris: sunny.";

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

    /// <summary>Scripts the fake's four answers; the object comes as text, or (<paramref name="objectAsToolCall"/>) as a forced tool call of that name.</summary>
    public static void Script(FakeProviderServer fake, string? objectAsToolCall = null)
    {
        const string Weather = """{"city":"Paris","sunny":true}""";
        fake.Reset();
        fake.Enqueue(new FakeResponse { Text = "", ToolCalls = [("call_weather_1", "get_weather", """{"city":"Paris"}""")] },
            new FakeResponse { Text = Answer }, new FakeResponse { Text = Answer },
            objectAsToolCall is null ? new FakeResponse { Text = Weather } : new FakeResponse { Text = "", ToolCalls = [("call_weather_2", objectAsToolCall, Weather)] });
    }

    /// <summary>
    /// The script's answers, and at the fake's <paramref name="upstreamPath"/>: four calls, the tool's output sent back to
    /// the model, the object's schema sent in the deployment's format; and a priced ledger row of the key per call.
    /// </summary>
    public static async Task AssertAsync(string output, CodingAgentFixture fixture, string key, string upstreamPath, CancellationToken ct)
    {
        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal(Answer, result.GetProperty("text").GetString());
        Assert.Equal(["Paris"], result.GetProperty("calls").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(Answer, result.GetProperty("streamed").GetString());
        var weather = result.GetProperty("weather");
        Assert.Equal(("Paris", true), (weather.GetProperty("city").GetString(), weather.GetProperty("sunny").GetBoolean()));
        var upstream = fixture.Fake.Requests.Where(r => r.Path == upstreamPath).ToList();
        Assert.Equal(4, upstream.Count);
        Assert.Contains("It is sunny in Paris.", upstream[1].Body); // the tool's output went back to the model
        Assert.Contains("\"sunny\"", upstream[3].Body); // the object's schema reached the model, in its format
        var rows = await fixture.SuccessRowsAsync(key, 4, ct);
        Assert.Equal(4, rows.Length);
        Assert.All(rows, row => Assert.True(row.GetProperty("spend").GetDecimal() > 0, row.ToString()));
    }
}
