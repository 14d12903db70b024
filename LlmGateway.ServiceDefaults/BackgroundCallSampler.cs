using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Parent-based sampling that drops outgoing calls made outside any trace. Those are background pollers (key cache,
/// budget gauge, ledger writer, deployment probes), which would otherwise start a new <c>postgresql</c> trace every
/// second; database and HTTP calls inside a request, or inside a span a worker opened first, are kept.
/// </summary>
public sealed class BackgroundCallSampler : Sampler
{
    private readonly Sampler inner = new ParentBasedSampler(new AlwaysOnSampler());

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.ParentContext.TraceId == default && samplingParameters.Kind == ActivityKind.Client
            ? new SamplingResult(SamplingDecision.Drop)
            : inner.ShouldSample(samplingParameters);
}
