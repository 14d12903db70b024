using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Telemetry;

/// <summary>Every span of the gateway's and ASP.NET Core's sources (tags, events, names) and every log line, captured in memory.</summary>
public sealed class TelemetryCapture : ILoggerProvider
{
    private readonly ActivityListener listener;

    public TelemetryCapture()
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "LlmGateway" or "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
    }

    public ConcurrentBag<Activity> Spans { get; } = [];
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>Every string a span carries: name, status, tag values, events and their tags, baggage.</summary>
    public IEnumerable<string> SpanText() => Spans.SelectMany(span =>
        new[] { span.DisplayName, span.OperationName, span.StatusDescription ?? "" }
            .Concat(span.TagObjects.Select(t => $"{t.Key}={t.Value}"))
            .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}")))
            .Concat(span.Baggage.Select(b => $"{b.Key}={b.Value}")));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Logs);

    public void Dispose() => listener.Dispose();

    private sealed class Logger(string category, ConcurrentQueue<string> logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            logs.Enqueue($"{category} scope {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            logs.Enqueue($"{category} {logLevel} {formatter(state, exception)} {values} {exception}");
        }
    }
}
