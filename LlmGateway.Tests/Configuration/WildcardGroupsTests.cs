using LlmGateway.Api.Configuration;
using LlmGateway.Api.Keys;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

/// <summary>Which wildcard pattern serves a model name, what goes upstream, and what a model list's <c>provider/*</c> grants.</summary>
public class WildcardGroupsTests
{
    private const string Yaml = """
        model_list:
          - model_name: "*"
            litellm_params: { model: "openai/*" }
          - model_name: "anthropic/*"
            litellm_params: { model: "anthropic/*" }
          - model_name: "anthropic/claude-*"
            litellm_params: { model: "anthropic/claude-*" }
          - model_name: "anthropic/exact"
            litellm_params: { model: "openai/exact-upstream" }
        """;

    [Theory]
    [InlineData("anthropic/claude-x", "anthropic/claude-*", "claude-x")]
    [InlineData("anthropic/other", "anthropic/*", "other")]
    [InlineData("gpt-4o", "*", "gpt-4o")]
    [InlineData("anthropic/exact", null, "exact-upstream")]
    public void TheMostSpecificPatternServesTheNameAndItsMatchGoesUpstream(string name, string? pattern, string upstream)
    {
        var catalog = new ModelCatalog(Load(Yaml).Config);

        Assert.True(catalog.TryGetGroup(name, out var group));
        Assert.Equal((name, pattern, upstream), (group.Name, group.Pattern?.Name, group.Deployments.Single().ProviderModel));
    }

    [Fact]
    public void APatternIsNotAModelAndAConcreteGroupIsReused()
    {
        var catalog = new ModelCatalog(Load(Yaml).Config);

        Assert.False(catalog.TryGetGroup("anthropic/*", out _));
        Assert.True(catalog.TryGetGroup("anthropic/a", out var first));
        Assert.True(catalog.TryGetGroup("anthropic/a", out var second));
        Assert.Same(first, second);
        Assert.Equal(first.Pattern!.Deployments[0].Id, first.Deployments[0].Id);
    }

    [Theory]
    [InlineData("anthropic/*", "anthropic/claude-x", true)]
    [InlineData("anthropic/*", "openai/gpt-4o", false)]
    [InlineData("anthropic/*", "anthropic", false)]
    [InlineData("beta-models", "beta-a", true)]
    [InlineData("beta-models", "internal-c", false)]
    [InlineData("*", "anything", true)]
    public void AModelListGrantsByNameWildcardOrAccessGroup(string granted, string model, bool allowed)
    {
        var groups = model == "beta-a" ? new[] { "beta-models" } : [];

        Assert.Equal(allowed, ModelGrant.Allows([granted], model, groups));
    }
}
