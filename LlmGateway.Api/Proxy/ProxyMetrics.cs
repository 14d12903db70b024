using System.Diagnostics;
using System.Diagnostics.Metrics;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// The request's GenAI span attributes and metrics (OpenTelemetry GenAI semantic conventions, plus the gateway's own).
/// Labels are bounded: operation, model group, provider, team and error class — never keys, users or content.
/// </summary>
public static class ProxyMetrics
{
    private static readonly Meter Meter = GatewayTelemetry.Meter;
    private static readonly double[] Seconds = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    private static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}",
        "Input and output tokens per request.", advice: new() { HistogramBucketBoundaries = PowersOfFour(1, 14) });

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s",
        "Time from the request's arrival to its last byte.", advice: new() { HistogramBucketBoundaries = Seconds });

    private static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram<double>("gen_ai.server.time_to_first_token", "s",
        "Time from sending upstream to the first event of a stream.", advice: new() { HistogramBucketBoundaries = Seconds });

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("llmgateway.requests", "{request}",
        "Proxy requests by status class and error class.");

    private static readonly Counter<double> Cost = Meter.CreateCounter<double>("llmgateway.cost", "USD", "Spend of proxied requests.");

    private static readonly Histogram<double> Overhead = Meter.CreateHistogram<double>("llmgateway.overhead", "ms",
        "Time the gateway added: total minus the upstream.", advice: new() { HistogramBucketBoundaries = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000] });

    internal static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>("llmgateway.requests.in_flight", "{request}",
        "Proxy requests being served.");

    /// <summary>Called once per proxied request after the upstream: span attributes, token, cost, duration and overhead metrics.</summary>
    public static void RequestFinished(ProxyContext proxy, ProxyOutcome outcome, Caller caller, decimal cost)
    {
        var http = proxy.Http;
        // From the matched route, not the path the client typed (a trailing slash or another case is the same route).
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var operation = route?.EndsWith("embeddings", StringComparison.Ordinal) == true ? "embeddings" : "chat";
        var provider = outcome.Deployment is { } deployment ? ProviderRegistry.Name(deployment.Provider) : null;
        var errorType = ErrorType(proxy, outcome);
        var team = caller.Key?.TeamId;
        var labels = new RequestLabels(operation, proxy.Group.MetricName, provider, team, errorType);
        http.Items[typeof(RequestLabels)] = labels;

        var usage = outcome.Usage;
        if (Activity.Current is { IsAllDataRequested: true } span)
        {
            span.SetTag("gen_ai.operation.name", operation);
            span.SetTag("gen_ai.request.model", proxy.Group.Name);
            span.SetTag("gen_ai.response.model", outcome.Deployment?.ProviderModel);
            span.SetTag("gen_ai.system", provider);
            span.SetTag("gen_ai.provider.name", provider);
            span.SetTag("llmgateway.team_id", team);
            span.SetTag("llmgateway.cache_hit", http.Response.Headers["x-gateway-cache"] == "hit");
            span.SetTag("llmgateway.attempts", outcome.Attempts);
            if (usage is { } known)
            {
                span.SetTag("gen_ai.usage.input_tokens", known.PromptTokens);
                span.SetTag("gen_ai.usage.output_tokens", known.CompletionTokens);
            }

            if (errorType is not null)
            {
                span.SetTag("error.type", errorType);
            }
        }

        var tags = labels.Tags();
        if (usage is { } tokens)
        {
            TokenUsage.Record(tokens.PromptTokens, With(tags, "gen_ai.token.type", "input"));
            TokenUsage.Record(tokens.CompletionTokens, With(tags, "gen_ai.token.type", "output"));
        }

        var timings = proxy.Timings;
        Duration.Record(timings.Elapsed.TotalSeconds, tags);
        if (timings.UpstreamFirstByte > TimeSpan.Zero)
        {
            TimeToFirstToken.Record(timings.UpstreamFirstByte.TotalSeconds, tags);
        }

        Overhead.Record(Math.Max(0, (timings.Elapsed - timings.Upstream).TotalMilliseconds), tags);
        if (cost > 0)
        {
            Cost.Add((double)cost, tags);
        }
    }

    /// <summary>Counts a finished proxy request; labels from <see cref="RequestFinished"/> when it got that far.</summary>
    internal static void Count(HttpContext http)
    {
        var status = http.Response.StatusCode;
        var labels = http.Items[typeof(RequestLabels)] as RequestLabels;
        var tags = labels?.Tags() ?? new TagList();
        tags.Add("http.response.status_class", $"{status / 100}xx");
        if (labels?.ErrorType is null && status >= 400)
        {
            tags.Add("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Requests.Add(1, tags);
    }

    private static string? ErrorType(ProxyContext proxy, ProxyOutcome outcome)
    {
        if (outcome.BrokeMidStream)
        {
            return RoutingMetrics.ErrorClass(outcome.Failure!.Kind);
        }

        var status = proxy.Http.Response.StatusCode;
        if (status < 400)
        {
            return proxy.Http.RequestAborted.IsCancellationRequested ? "client_disconnected" : null;
        }

        return outcome.Failure is { } failure ? RoutingMetrics.ErrorClass(failure.Kind) : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static TagList With(TagList tags, string key, string value)
    {
        var copy = tags;
        copy.Add(key, value);
        return copy;
    }

    private static long[] PowersOfFour(long first, int count) =>
        [.. Enumerable.Range(0, count).Select(i => first << (2 * i))];

    private sealed record RequestLabels(string Operation, string ModelGroup, string? Provider, string? Team, string? ErrorType)
    {
        public TagList Tags()
        {
            var tags = new TagList
            {
                { "gen_ai.operation.name", Operation },
                { "gen_ai.request.model", ModelGroup },
            };
            if (Provider is not null)
            {
                tags.Add("gen_ai.provider.name", Provider);
            }

            if (Team is not null)
            {
                tags.Add("llmgateway.team_id", Team);
            }

            if (ErrorType is not null)
            {
                tags.Add("error.type", ErrorType);
            }

            return tags;
        }
    }
}
