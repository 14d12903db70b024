using System.Net.Http.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Management;

/// <summary>The governance fixture (two replicas, $0.01 a call) with LiteLLM's <c>max_end_user_budget</c> of $0.50.</summary>
public sealed class EndUserFixture(TestServers servers) : GovernanceFixture(servers)
{
    public const decimal DefaultEndUserBudget = 0.5m;

    protected override string ExtraYaml => """
        litellm_settings:
          max_end_user_budget: 0.5
        """;

    /// <summary>A chat call for <paramref name="endUser"/>: in the body's <c>user</c>, or in LiteLLM's header.</summary>
    public static HttpRequestMessage ChatFor(string key, string endUser, bool inHeader = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = inHeader
                ? JsonContent.Create(new { model = Model, max_tokens = 100, messages = new[] { new { role = "user", content = "hello" } } })
                : JsonContent.Create(new { model = Model, max_tokens = 100, user = endUser, messages = new[] { new { role = "user", content = "hello" } } }),
        };
        if (inHeader)
        {
            request.Headers.Add("x-litellm-end-user-id", endUser);
        }

        return request;
    }
}
