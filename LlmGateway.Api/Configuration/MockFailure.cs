namespace LlmGateway.Api.Configuration;

/// <summary>Failure injection for <c>mock/</c> deployments: answer <paramref name="StatusCode"/> with probability <paramref name="Rate"/>.</summary>
/// <param name="Rate">From <c>mock_failure_rate</c> (0 to 1); 1 when only <c>mock_status</c> is given.</param>
/// <param name="StatusCode">From <c>mock_status</c> (400 to 599); 500 when only the rate is given.</param>
public sealed record MockFailure(double Rate, int StatusCode);
