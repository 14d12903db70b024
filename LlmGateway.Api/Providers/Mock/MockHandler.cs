using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Providers.Mock;

/// <summary>
/// The built-in <c>mock/</c> provider: answers in-process like an OpenAI model, with no network call —
/// deterministic text and token counts, <c>mock_response</c>, latency, streaming and failure injection.
/// It sits where a socket handler would, so the rest of the proxy treats it as any OpenAI-compatible upstream.
/// </summary>
public sealed class MockHandler : HttpMessageHandler
{
    public static readonly HttpRequestOptionsKey<DeploymentConfig> DeploymentOption = new("LlmGateway.MockDeployment");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(DeploymentOption, out var deployment);
        if (deployment?.MockLatencyMs is > 0 and var latency)
        {
            await Task.Delay(latency, cancellationToken);
        }

        if (deployment?.MockFailure is { } failure && Random.Shared.NextDouble() < failure.Rate)
        {
            var message = JsonSerializer.Serialize($"Injected failure from mock deployment {deployment.Id}");
            return Json((HttpStatusCode)failure.StatusCode,
                "{\"error\":{\"message\":" + message + ",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        }

        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var model = root.TryGetProperty("model", out var m) ? m.GetString() ?? "mock" : "mock";
        if (request.RequestUri?.AbsolutePath.EndsWith("/embeddings", StringComparison.Ordinal) == true)
        {
            return Json(HttpStatusCode.OK, MockCompletion.Embeddings(root, model));
        }

        var answer = MockCompletion.Create(root, deployment, model);
        if (root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            var includeUsage = root.TryGetProperty("stream_options", out var options)
                && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(MockCompletion.Stream(answer, includeUsage), Encoding.UTF8, "text/event-stream"),
            };
        }

        return Json(HttpStatusCode.OK, MockCompletion.NonStream(answer));
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
