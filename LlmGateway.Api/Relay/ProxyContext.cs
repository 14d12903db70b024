using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Relay;

/// <summary>One proxied request: who asked for what, in which client format. Outcomes travel as return values, not here.</summary>
public sealed class ProxyContext(HttpContext http, IClientAdapter client, ModelGroup group, RequestTimings timings)
{
    public HttpContext Http { get; } = http;
    public IClientAdapter Client { get; } = client;
    public ClientFormat Format => Client.Format;
    public ModelGroup Group { get; } = group;
    public RequestTimings Timings { get; } = timings;
    public string RequestId => Http.TraceIdentifier;

    /// <summary>Cancelled when the caller's key, team or user is blocked or deleted: the relay cuts the stream.</summary>
    public CancellationToken Revoked { get; init; }

    /// <summary>
    /// The answer ends only once the request's settle has run (it holds a <c>max_parallel_requests</c> lease): the client
    /// cannot see its last byte, and send its next request to another replica, while the lease is still held. A whole
    /// answer is then sent without a <c>Content-Length</c> (its end is the chunked body's end, after the handler).
    /// </summary>
    public bool EndsAfterSettle { get; init; }

    /// <summary>The length of a whole answer about to be written, unless its end must wait for the settle (<see cref="EndsAfterSettle"/>).</summary>
    public void SetContentLength(long length)
    {
        if (!EndsAfterSettle)
        {
            Http.Response.ContentLength = length;
        }
    }

    /// <summary>The id the client sees for the answer: the format's prefix and the request id, unless the format keeps its own.</summary>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public string AnswerId
    {
        get => answerId ?? Client.IdPrefix + RequestId;
        init => answerId = value;
    }

    private readonly string? answerId;
}
