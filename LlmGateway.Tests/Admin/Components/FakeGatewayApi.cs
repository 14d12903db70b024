using System.Net;
using System.Text;

namespace LlmGateway.Tests.Admin.Components;

/// <summary>The Api's management API as canned answers per "METHOD /path", recording what the admin sent.</summary>
public sealed class FakeGatewayApi : HttpMessageHandler
{
    private readonly Dictionary<string, (HttpStatusCode Status, string Body)> answers = new(StringComparer.OrdinalIgnoreCase);

    public List<(HttpMethod Method, string PathAndQuery, string? Body, string? Authorization)> Requests { get; } = [];

    public FakeGatewayApi Answer(string methodAndPath, string json, HttpStatusCode status = HttpStatusCode.OK)
    {
        answers[methodAndPath] = (status, json);
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request.Method, request.RequestUri!.PathAndQuery, body, request.Headers.Authorization?.ToString()));
        var (status, json) = answers.TryGetValue($"{request.Method} {request.RequestUri.AbsolutePath}", out var answer)
            ? answer
            : (HttpStatusCode.NotFound, """{"error":{"message":"Not Found","type":"not_found"}}""");
        return new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
    }
}
