using System.Text;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Tests.Pricing;

/// <summary>
/// <see cref="HostedToolTypes"/>: the one reading of a <c>tools</c> array that the premium check, the reservation's fees and
/// the upstream bound share — hosted tools by their decoded type, function tools (whatever their name) never.
/// </summary>
public class HostedToolTypesTests
{
    private static IReadOnlyList<TypedTool> Of(string tools) => HostedToolTypes.Of(Encoding.UTF8.GetBytes(tools));

    [Fact]
    public void HostedToolsAreFoundByTheirDecodedTypeWithTheirIndexAndMaxUses()
    {
        var tools = Of("""
            [{"type":"function","name":"web_search","parameters":{}},
             {"type":"\u0077eb_search_preview"},
             {"type":"web_fetch_20250910","max_uses":3},
             {"type":"custom","name":"mcp"},
             {"type":"code_interpreter","container":{"type":"auto"}},
             {"type":"web_search_20250305","max_uses":-1},
             "not an object", {"type":7}]
            """);

        Assert.Equal(
            [new TypedTool(1, "web_search_preview", null), new TypedTool(2, "web_fetch_20250910", 3), new TypedTool(4, "code_interpreter", null),
             new TypedTool(5, "web_search_20250305", null)],
            tools);
    }

    [Theory]
    [InlineData("""[{"type":"function","function":{"name":"get_weather","parameters":{}}}]""")]
    [InlineData("""[]""")]
    public void FunctionToolsOnlyHaveNone(string tools) => Assert.Empty(Of(tools));

    [Fact]
    public void ABodyReadsItsToolsOnce()
    {
        Assert.True(JsonBody.TryParse("""{"model":"m","tools":[{"type":"web_search"}]}"""u8.ToArray(), out var body, out _));
        Assert.Equal([new TypedTool(0, "web_search", null)], body.HostedTools);
        Assert.Same(body.HostedTools, body.HostedTools);
        Assert.True(JsonBody.TryParse("""{"model":"m"}"""u8.ToArray(), out var none, out _));
        Assert.Empty(none.HostedTools);
    }
}
