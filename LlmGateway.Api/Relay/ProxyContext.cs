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
}
